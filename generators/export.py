"""ONNX export of the cheap decoders (GAN generator, VAE decoder) for the browser render path.

The graph maps z (B, D) [+ one-hot y (B, C)] → x (B, C, H, W) in [0, 1] (images) or (B, 2) (2D points): exactly
what `GAN.generate` / `VAE.decode` compute, so the page (onnxruntime-web) and the server draw the same picture.
Export needs `onnx` and `onnxruntime` (requirements-dev.txt); the app only serves the committed .onnx files.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .base import Family, _atomic_write, checkpoint_paths
from .errors import EngineError

OPSET = 17          # onnxruntime-web's WASM backend runs it
TOLERANCE = 1e-4    # max |onnx − torch| on random latents, fp32


class Decoder(nn.Module):
    """The family's latent → output map as one module: forward(z[, y_onehot])."""

    def __init__(self, model):
        super().__init__()
        if type(model).decoder_output is Family.decoder_output:
            from . import REGISTRY
            able = [n for n, c in REGISTRY.items() if c.decoder_output is not Family.decoder_output]
            if len(able) == 2:
                raise EngineError("only {first} and {second} decoders export to ONNX, not {family}", first=able[0],
                                  second=able[1], family=model.name)
            raise EngineError("only {families} decoders export to ONNX, not {family}", families=" and ".join(able),
                              family=model.name)
        self.model = model
        self.conditional = bool(model.num_classes)

    def forward(self, z, y=None):
        return self.model.decoder_output(z, y)


def onnx_path(name_or_path) -> Path:
    """`checkpoints/<name>.onnx`: beside the checkpoint's weights."""
    from . import resolve_checkpoint

    return resolve_checkpoint(name_or_path).with_suffix(".onnx")


def _inputs(model, n: int, generator: torch.Generator):
    z = torch.randn(n, model.config.latent_dim, generator=generator)
    if not model.num_classes:
        return (z,)
    y = torch.randint(0, model.num_classes, (n,), generator=generator)
    return z, F.one_hot(y, model.num_classes).float()


def max_difference(model, path, n: int = 64, seed: int = 0) -> float:
    """max |onnxruntime − PyTorch| over n random latents (and classes) drawn with `seed`."""
    import onnxruntime as ort

    dec = Decoder(model.cpu()).eval()
    args = _inputs(model, n, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        want = dec(*args).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {k: v.numpy() for k, v in zip(("z", "y"), args)})[0]
    return float(abs(got - want).max())


def store_derived(name_or_path) -> Path | None:
    """Put what a checkpoint's loader would otherwise compute (`Family.derived_meta`: a DCGAN's GANSpace
    directions, ~0.5 s of the app's cold start; a VAE's prior fitted to its encoded training digits) into its
    JSON. → the JSON path, or None when the family stores nothing."""
    from . import load, resolve_checkpoint
    from .base import read_meta, write_meta

    wpath = resolve_checkpoint(name_or_path)
    model = load(wpath, device="cpu")
    stored = model.derived_meta()
    if not stored:
        return None
    _, cpath = checkpoint_paths(wpath)
    meta = read_meta(cpath)
    if any(meta.get(k) != v for k, v in stored.items()):
        write_meta(cpath, {**meta, **stored})
    return cpath


def half_weights(onnx_bytes: bytes) -> bytes:
    """The graph with every float32 weight that float16 holds exactly (weights shipped in float16: the emoji
    checkpoints) stored as float16 and cast back to float32 inside the graph: half the download, the same
    numbers. Weights that float16 would round (the float32 MNIST checkpoints) stay as they are."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    graph = (m := onnx.load_from_string(onnx_bytes)).graph
    casts, kept = [], []
    for init in graph.initializer:
        w = numpy_helper.to_array(init)
        exact = w.size and np.array_equal(w.astype(np.float16).astype(np.float32), w)
        if init.data_type == onnx.TensorProto.FLOAT and exact:
            kept.append(numpy_helper.from_array(w.astype(np.float16), init.name + ".fp16"))
            casts.append(helper.make_node("Cast", [init.name + ".fp16"], [init.name], to=onnx.TensorProto.FLOAT))
        else:
            kept.append(init)
    if not casts:
        return onnx_bytes
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)              # the casts first: the graph stays topologically sorted
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(m)
    return m.SerializeToString()


def export(name_or_path, out: str | os.PathLike | None = None, *, force: bool = False, check: bool = True):
    """Write the decoder of a GAN/VAE checkpoint as ONNX (default: beside the checkpoint) → (path, max diff).

    A cached file newer than the weights is reused unless `force`; `check` runs the parity test (≤ TOLERANCE)."""
    from . import load, resolve_checkpoint

    wpath = resolve_checkpoint(name_or_path)
    out = Path(out) if out else wpath.with_suffix(".onnx")
    model = load(wpath, device="cpu")
    dec = Decoder(model).eval()
    fresh = out.exists() and out.stat().st_mtime >= max(p.stat().st_mtime for p in checkpoint_paths(wpath))
    if force or not fresh:
        import io

        names = ["z", "y"] if dec.conditional else ["z"]
        args = _inputs(model, 2, torch.Generator().manual_seed(0))
        buf = io.BytesIO()
        with torch.no_grad():
            torch.onnx.export(dec, args, buf, input_names=names, output_names=["x"], opset_version=OPSET,
                              dynamic_axes={k: {0: "batch"} for k in names + ["x"]}, dynamo=False)
        _atomic_write(out, half_weights(buf.getvalue()))
    diff = max_difference(model, out) if check else float("nan")
    if check and not diff <= TOLERANCE:
        raise EngineError("ONNX export of {name} differs from PyTorch by {diff:.2e} (> {tolerance:g})", name=wpath.stem,
                          diff=diff, tolerance=TOLERANCE)
    return out, diff
