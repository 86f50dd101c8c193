"""python -m bench.poems — how long `autoregressive-poems` takes to write 20 quatrains (the issue's bound: 150 ms
on 2 CPU cores), for each form and an acrostic, p50 / p95 over repeated calls, at 1 and 2 torch threads.
Printed figures, never pass/fail."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = {"free": {}, "form 5": {"form": 5}, "form 7": {"form": 7}, "form 7, acrostic 春夏秋冬": {"form": 7, "acrostic": "春夏秋冬"}}


def main(argv=None) -> None:
    import torch

    import generators
    from generators.base import make_generator

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--n", type=int, default=20, help="poems per call")
    args = p.parse_args(argv)
    model = generators.load("autoregressive-poems", device="cpu")
    print(f"autoregressive-poems: {model.num_parameters():,} parameters; {args.n} poems per call, "
          f"{args.repeats} calls per row")
    print(f"{'case':28s} {'threads':>7s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for name, opts in CASES.items():
            model.sample(args.n, generator=make_generator(0), **opts)              # warm up
            times = []
            for seed in range(args.repeats):
                t0 = time.perf_counter()
                model.sample(args.n, generator=make_generator(seed), **opts)
                times.append(1000 * (time.perf_counter() - t0))
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(f"{name:28s} {threads:7d} {statistics.median(times):8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
