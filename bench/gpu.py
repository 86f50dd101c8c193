"""python -m bench.gpu — training throughput on a CUDA GPU (issue 10, item 5). Figures, never pass/fail.

Rows, each measured in this run on one device:
  * the GAN engine at pytorch/examples' DCGAN settings (64×64×3, nz 100, ngf = ndf = 64, unconditional, BCE,
    Adam 2e-4 / β1 0.5), batch 64 and 128, on MNIST digits upscaled to 64×64×3: images/s;
  * pytorch/examples' `dcgan/main.py` itself on the same images and batch, when you point --dcgan at a checkout
    of it (never committed here; it needs torchvision): images/s read from its per-iteration log lines;
  * the GAN engine at our own 28×28 default (conditional), batch 1024;
  * the diffusion engine's default MNIST UNet, batch 128, beside diffusers' `UNet2DModel` of comparable size
    trained with the same ε-MSE loss, optimiser and autocast (when diffusers is installed): steps/s.
Time to quality on the GPU: `python -m bench.time_to_digits --device cuda`.

On a machine without CUDA it says so and stops, unless --device cpu (with --quick: a seconds-long smoke run).
"""
from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DCGAN_64 = dict(image_size=64, channels=3, latent_dim=100, ngf=64, ndf=64, num_classes=0, loss="bce", lr=2e-4,
                beta1=0.5, spectral_norm=False, minibatch_std=False)


def digits_64(n: int):
    """MNIST training digits as 64×64 RGB images in [0, 1] (the engine's image Dataset)."""
    from generators.data import Dataset, load_dataset

    d = load_dataset("mnist", "train")
    x = F.interpolate(d.x[:n], size=64, mode="bilinear", align_corners=False).clamp(0, 1).repeat(1, 3, 1, 1)
    return Dataset(name="mnist-64-rgb", kind="image", x=x, y=None, num_classes=0)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def engine_rate(model, data, batch: int, steps: int, warmup: int) -> float:
    """Images per second of the shared engine (the Train tab's code path), after `warmup` steps."""
    from generators.train import train

    t0 = None
    for ev in train(model, data, steps=warmup + steps, batch_size=batch, seed=0, sample_every=0):
        if ev["event"] == "step" and ev["step"] == warmup:
            sync(model.device)
            t0 = time.perf_counter()
    sync(model.device)
    return steps * batch / (time.perf_counter() - t0)


def gan_rows(device, batch_sizes, steps: int, warmup: int, big_batch: int):
    import generators

    rows = []
    data = digits_64(4096 if steps > 20 else 256)
    for b in batch_sizes:
        model = generators.REGISTRY["gan"](generators.REGISTRY["gan"].Config(**DCGAN_64)).to(device)
        rows.append((f"GAN engine, DCGAN 64×64×3 nz 100 ngf=ndf=64, batch {b}", engine_rate(model, data, b, steps, warmup)))
    from generators.data import load_dataset

    model = generators.build("gan", "mnist", seed=0).to(device)
    rows.append((f"GAN engine, our 28×28 conditional default, batch {big_batch}",
                 engine_rate(model, load_dataset("mnist", "train"), big_batch, steps, warmup)))
    return rows


def theirs(dcgan: Path, device, batch: int, n_images: int, extra: str) -> tuple[str, float | str]:
    """pytorch/examples' dcgan/main.py on the same digits as PNG files: images/s from its log's timestamps."""
    from PIL import Image

    name = f"pytorch/examples dcgan/main.py, same settings and images, batch {batch}"

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images" / "digits"
        folder.mkdir(parents=True)
        x = (digits_64(n_images).x.permute(0, 2, 3, 1).numpy() * 255).round().astype("uint8")
        for i, img in enumerate(x):
            Image.fromarray(img).save(folder / f"{i}.png")
        argv = [sys.executable, "-u", str(dcgan), "--dataset", "folder", "--dataroot", str(Path(tmp) / "images"),
                "--batchSize", str(batch), "--niter", "1", "--outf", str(Path(tmp) / "out"), *shlex.split(extra)]
        proc = subprocess.Popen(argv, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        stamps = []
        for line in proc.stdout:
            if re.match(r"\[\d+/\d+\]\[\d+/\d+\]", line):
                stamps.append(time.perf_counter())
        proc.wait()
    if len(stamps) < 12 or proc.returncode:
        return name, (f"not measured: {len(stamps)} iterations logged, exit code {proc.returncode} (it needs "
                      "torchvision; its device flag varies by version: --dcgan-args)")
    return name, (len(stamps) - 11) * batch / (stamps[-1] - stamps[10])      # after 10 warm-up iterations


def diffusion_rows(device, batch: int, steps: int, warmup: int):
    import generators
    from generators.data import load_dataset

    data = load_dataset("mnist", "train")
    model = generators.build("diffusion", "mnist", seed=0).to(device)
    ours_params = model.num_parameters()
    rows = [(f"diffusion engine, default MNIST UNet ({ours_params / 1e3:.0f}k parameters), batch {batch}, steps/s",
             engine_rate(model, data, batch, steps, warmup) / batch)]
    try:
        from diffusers import UNet2DModel
    except ImportError:
        rows.append(("diffusers UNet2DModel", "not measured: pip install -r bench/requirements.txt"))
        return rows
    def unet(widths):
        return UNet2DModel(sample_size=28, in_channels=1, out_channels=1, block_out_channels=widths,
                           layers_per_block=1, norm_num_groups=8, num_class_embeds=10,
                           down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3)

    def size(widths):
        return sum(p.numel() for p in unet(widths).parameters())

    widths = min([(16, 32, 32), (32, 32, 64), (32, 48, 64), (32, 64, 64), (32, 64, 96), (48, 96, 128), (64, 128, 128)],
                 key=lambda w: abs(size(w) - ours_params))                 # the width nearest ours in parameters
    net = unet(widths).to(device)
    theirs_params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    g = torch.Generator(device=device).manual_seed(0)
    x_all, y_all = data.x.to(device) * 2 - 1, data.y.to(device)
    abar = model.alpha_bar.float()           # our noise schedule (as the engine reads it): the same task
    T = len(abar)
    amp = device.type == "cuda" and torch.cuda.is_bf16_supported()

    def step():
        i = torch.randint(0, len(x_all), (batch,), generator=g, device=device)
        x0, y = x_all[i], y_all[i]
        t = torch.randint(0, T, (batch,), generator=g, device=device)
        eps = torch.randn(x0.shape, generator=g, device=device)
        a = abar[t].view(-1, 1, 1, 1)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = F.mse_loss(net(a.sqrt() * x0 + (1 - a).sqrt() * eps, t, class_labels=y).sample.float(), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()                   # as the engine does: one value per step for the curve

    for _ in range(warmup):
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    rows.append((f"diffusers UNet2DModel ({theirs_params / 1e3:.0f}k parameters), same loss/optimiser/autocast, "
                 f"batch {batch}, steps/s", steps / (time.perf_counter() - t0)))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    ap.add_argument("--quick", action="store_true", help="a few steps per row (a smoke run, not a figure)")
    ap.add_argument("--dcgan", type=Path, default=None, help="path to pytorch/examples' dcgan/main.py to run beside ours")
    ap.add_argument("--dcgan-args", default="--cuda", help="extra arguments for it (its device flag varies by version)")
    args = ap.parse_args(argv)

    if args.device == "cuda" and not torch.cuda.is_available():
        print("GPU rows: not measured — no CUDA GPU on this machine (run `python -m bench.gpu` on one).")
        return
    device = torch.device(args.device)
    steps, warmup = (3, 1) if args.quick else (200, 20)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"# training throughput on {name}, torch {torch.__version__}{' (quick smoke run)' if args.quick else ''}")
    rows = gan_rows(device, (8,) if args.quick else (64, 128), steps, warmup, 16 if args.quick else 1024)
    if args.dcgan is not None:
        for b in ((8,) if args.quick else (64, 128)):
            rows.append(theirs(args.dcgan, device, b, 256 if args.quick else 4096, args.dcgan_args))
    rows += diffusion_rows(device, 8 if args.quick else 128, steps, warmup)
    print("| row | images/s (or steps/s where said) |\n|---|---|")
    for row, v in rows:
        print(f"| {row} | {v if isinstance(v, str) else f'{v:,.1f}'} |")
    ours = {r: v for r, v in rows if r.startswith("GAN engine, DCGAN") and not isinstance(v, str)}
    for r, v in rows:
        if r.startswith("pytorch/examples") and not isinstance(v, str):
            b = r.rsplit("batch ", 1)[1]
            mine = next((x for k, x in ours.items() if k.endswith(f"batch {b}")), None)
            if mine:
                print(f"GAN engine / pytorch/examples at batch {b}: {mine / v:.2f}×")


if __name__ == "__main__":
    main()
