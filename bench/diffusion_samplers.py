"""python -m bench.diffusion_samplers — DDIM sampling time, ours vs diffusers' DDIMScheduler driving the same
network (figures and ratios, printed; never pass/fail).

Both loops call the shipped `diffusion-mnist` UNet through the same `_eps` (classifier-free guidance as one
batched call), on the same seeded x_T and labels; only the sampler arithmetic differs. diffusers is given our
noise schedule (`trained_betas` from our ᾱ) with `timestep_spacing="linspace"`, the spacing we use, and
clipping of x̂₀ to [-1, 1] as we do. The pictures still differ (last column): diffusers steps from t to
t − T/k rather than to the next visited timestep, and keeps the network's ε after clipping x̂₀ where we re-derive ε
from the clipped x̂₀; the timing compares the same number of network calls. Bench-only dependency:
`pip install -r bench/requirements.txt`.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def diffusers_sample(model, scheduler, x, y, steps: int, guidance: float, generator) -> torch.Tensor:
    scheduler.set_timesteps(steps)
    for t in scheduler.timesteps:
        e = model._eps(x, int(t), y, guidance)
        x = scheduler.step(e, t, x, eta=0.0, generator=generator).prev_sample
    return model._out(x).clamp(0, 1)


def make_scheduler(model):
    from diffusers import DDIMScheduler

    ab = model.alpha_bar.double().cpu()
    betas = torch.cat([1 - ab[:1], 1 - ab[1:] / ab[:-1]]).clamp(max=0.999)
    return DDIMScheduler(num_train_timesteps=len(ab), trained_betas=betas.numpy(), clip_sample=True,
                         clip_sample_range=1.0, set_alpha_to_one=True, timestep_spacing="linspace",
                         prediction_type="epsilon")


def timed(fn, repeats: int) -> float:
    fn()                                                   # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.diffusion_samplers", description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed runs per row (median)")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--guidance", type=float, default=3.0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    import diffusers

    import generators
    from generators.base import make_generator

    model = generators.load("diffusion-mnist", device="cpu")
    sched = make_scheduler(model)
    print(f"# DDIM sampling on {model.device}, {args.threads} threads, torch {torch.__version__}, "
          f"diffusers {diffusers.__version__}, guidance {args.guidance}, median of {args.repeats}")
    print("\n| sampler | images | ours ms | diffusers ms | diffusers / ours | max |Δpixel| |\n|---|---|---|---|---|---|")
    for n in (1, 16):
        y = torch.arange(n) % 10
        for steps in (10, 25, 50):
            x_T = model.draw_latents(n, make_generator(0))
            with torch.no_grad():
                ours = lambda: model.sample(n, generator=make_generator(0), latents=x_T, labels=y,  # noqa: E731
                                            sampler="ddim", steps=steps, eta=0.0, guidance=args.guidance)
                theirs = lambda: diffusers_sample(model, sched, x_T.clone(), y, steps, args.guidance,  # noqa: E731
                                                  make_generator(0))
                a, b = ours(), theirs()
                t_ours, t_theirs = timed(ours, args.repeats), timed(theirs, args.repeats)
            diff = float((a - b).abs().max())
            print(f"| DDIM-{steps} | {n} | {t_ours * 1e3:.1f} | {t_theirs * 1e3:.1f} | {t_theirs / t_ours:.2f} | "
                  f"{diff:.3f} |")


if __name__ == "__main__":
    main()
