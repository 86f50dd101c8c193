"""python -m bench.precision — is bf16 + channels_last worth it for the slider decoders on this CPU?

For gan-mnist's generator and vae-mnist's decoder at batch 1: median ms in fp32 and under bf16 autocast with
channels_last, and the largest pixel difference (in 1/255) from fp32. The issue's rule: use bf16 only where it
is faster AND stays within 2/255 of fp32. Figures printed, never pass/fail.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def median_ms(fn, n: int = 300) -> float:
    for _ in range(20):
        fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[n // 2] * 1e3


def main() -> None:
    import generators
    from generators.base import make_generator

    torch.set_num_threads(2)
    bf16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    print(f"# bf16 on this CPU (oneDNN): {bf16}; torch {torch.__version__}, 2 threads")
    print("\n| decoder | fp32 ms | bf16+channels_last ms | speed-up | max |Δ| (1/255) | within 2/255 |\n|---|---|---|---|---|---|")
    gan, vae = generators.load("gan-mnist", device="cpu"), generators.load("vae-mnist", device="cpu")
    z_g = gan.draw_latents(1, make_generator(0))
    z_v = vae.draw_latents(1, make_generator(0))
    cases = {"gan-mnist generator": lambda m: m.sample(1, generator=make_generator(0), latents=z_g, labels=3),
             "vae-mnist decoder": lambda m: m.decode(z_v)}
    for (name, fn), model in zip(cases.items(), (gan, vae)):
        with torch.no_grad():
            a = fn(model).float()
            t32 = median_ms(lambda: fn(model))
            model = model.to(memory_format=torch.channels_last)

            def low():
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    return fn(model)
            b = low().float()
            t16 = median_ms(low)
        diff = float((a - b).abs().max()) * 255
        print(f"| {name} | {t32:.2f} | {t16:.2f} | {t32 / t16:.2f}× | {diff:.1f} | {'yes' if diff <= 2 else 'no'} |")


if __name__ == "__main__":
    main()
