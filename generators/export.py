"""Export the cheap decoders to ONNX, so the page can run them itself (onnxruntime-web, WebAssembly).

GAN generator: inputs z (B, D) [and onehot (B, C) for a conditional model] → image (B, 1, H, W) in [0, 1]
(or points (B, 2) for a 2D GAN). VAE decoder: z (B, D) [+ onehot] → image in [0, 1] (the mean of p(x|z)).
The file is written next to the checkpoint (`<name>.onnx`, atomically) and checked against PyTorch on random
latents before it is kept. Exporting needs the `onnx` package (and `onnxruntime` for the check); running the
app does not — the shipped decoders' .onnx files are committed.
"""
from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import nn

from .base import CheckpointError, _atomic_write, checkpoint_paths, make_generator

OPSET = 17
TOLERANCE = 1e-4            # max |ONNX − PyTorch| on random latents, fp32


class _GANDecoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, z, onehot=None):
        m = self.model
        if m.config.arch == "mlp":
            return m.G(z)
        x = torch.cat([z, onehot], 1) if onehot is not None else z
        return (m.G.net(x[:, :, None, None]) + 1) * 0.5


class _VAEDecoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, z, onehot=None):
        m = self.model
        logits = m.decoder(z, onehot)
        return torch.sigmoid(logits) if m.config.likelihood == "bernoulli" else logits.clamp(0, 1)


def decoder_module(model) -> tuple[nn.Module, list[str]]:
    """The part of `model` the browser runs, and its input names."""
    wrappers = {"gan": _GANDecoder, "vae": _VAEDecoder}
    if model.name not in wrappers:
        raise ValueError(f"only GAN generators and VAE decoders export to ONNX, not {model.name}")
    conditional = bool(model.num_classes) and not (model.name == "gan" and model.config.arch == "mlp")
    return wrappers[model.name](model).eval(), ["z", "onehot"] if conditional else ["z"]


def example_inputs(model, n: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = make_generator(seed)
    z = torch.randn(n, model.config.latent_dim, generator=g)
    _, names = decoder_module(model)
    if len(names) == 2:
        y = torch.randint(0, model.num_classes, (n,), generator=g)
        return z, torch.nn.functional.one_hot(y, model.num_classes).float()
    return (z,)


def onnx_path(model) -> Path:
    src = getattr(model, "checkpoint_path", None)
    if src is None:
        raise ValueError("this model was not loaded from a checkpoint: give an output path")
    return checkpoint_paths(src)[0].with_suffix(".onnx")


def export(model, out: str | Path | None = None, *, check: bool = True) -> dict:
    """Write the decoder as ONNX (next to the checkpoint unless `out`), check it, and return a summary."""
    import warnings

    model = model.to("cpu").eval()
    module, names = decoder_module(model)
    out = Path(out) if out else onnx_path(model)
    args = example_inputs(model, 2)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, buf, input_names=names, output_names=["image"], opset_version=OPSET,
                          dynamic_axes={k: {0: "batch"} for k in [*names, "image"]}, dynamo=False)
    data = buf.getvalue()
    info = {"path": str(out), "bytes": len(data), "inputs": names, "opset": OPSET,
            "latent_dim": model.config.latent_dim, "num_classes": model.num_classes if len(names) == 2 else 0}
    if check:
        info["max_abs_diff"] = max_abs_diff(model, data)
        if not info["max_abs_diff"] <= TOLERANCE:
            raise CheckpointError(f"ONNX export differs from PyTorch by {info['max_abs_diff']:.2e} (> {TOLERANCE})")
    _atomic_write(out, data)
    return info


def max_abs_diff(model, onnx_bytes: bytes, n: int = 64, seed: int = 1) -> float:
    """Largest |ONNX − PyTorch| over n random latents (and classes), both fp32 on the CPU."""
    import onnxruntime as ort

    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    module, names = decoder_module(model.to("cpu").eval())
    args = example_inputs(model, n, seed)
    with torch.no_grad():
        ref = module(*args).numpy()
    got = sess.run(None, {k: a.numpy() for k, a in zip(names, args)})[0]
    return float(abs(got - ref).max())

