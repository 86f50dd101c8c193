"""python -m bench.time_to_digits — how long until a run from scratch on MNIST draws recognisable digits?

Trains the GAN and the diffusion family with their default MNIST configs through the shared engine (the Train
tab's code path) and, every --every steps, asks the shipped MNIST classifier how many of 200 conditional
samples read as the asked digit (the clock is paused while measuring). Prints steps, training seconds and
class accuracy; stops at --target accuracy or --budget seconds. Figures, never pass/fail.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def class_accuracy(model, n: int = 200, **kw) -> float:
    from generators.base import make_generator
    from generators.metrics import load_classifier

    y = torch.arange(n) % 10
    with torch.no_grad():
        imgs = model.sample(n, generator=make_generator(7, model.device), labels=y.to(model.device), **kw).cpu()
        _, p = load_classifier().embed(imgs)
    return (p.argmax(1) == y).float().mean().item()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.time_to_digits", description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="gan,diffusion")
    ap.add_argument("--every", type=int, default=250, help="steps between measurements")
    ap.add_argument("--target", type=float, default=0.9, help="class accuracy that counts as recognisable")
    ap.add_argument("--budget", type=float, default=900, help="training seconds per family")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)

    import generators
    from generators.base import resolve_device
    from generators.data import load_dataset
    from generators.train import train

    device = resolve_device(args.device)
    data = load_dataset("mnist", "train")
    print(f"# time to recognisable digits on {device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    for fam in args.families.split(","):
        model = generators.build(fam, "mnist", seed=0).to(device)
        kw = {"sampler": "ddim", "steps": 25} if fam == "diffusion" else {}
        trained, acc = 0.0, 0.0
        t0 = time.perf_counter()
        for ev in train(model, data, steps=10**6, batch_size=64, seed=0, sample_every=0):
            if ev["event"] != "step" or ev["step"] % args.every:
                continue
            trained += time.perf_counter() - t0
            model.eval()
            acc = class_accuracy(model, **kw)
            model.train()
            print(f"{fam}: step {ev['step']}, {trained:.0f} s training, class accuracy {acc:.1%}", flush=True)
            if acc >= args.target or trained >= args.budget:
                break
            t0 = time.perf_counter()
        print(f"{fam}: {'reached' if acc >= args.target else 'did not reach'} {args.target:.0%} "
              f"({acc:.1%} after {trained:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
