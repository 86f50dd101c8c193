"""python -m bench.emoji_levers — the sampling-time levers of the shipped emoji models (issue 30, part 4), measured
by `generators.metrics.evaluate`'s image measures, and the sample grids of checkpoints/README.md.

`sweep` prints one row per (model, setting): FID against the real floor at the same n, class accuracy,
precision / recall, near copies. A setting is a sample() keyword (diffusion `guidance`, `sampler`, `steps`; gan
`truncation`; vae `temperature`; two bench-only ones, see `with_options`), bound to the loaded model for the run, so `evaluate` draws with it exactly as it
would draw with a checkpoint default. Rows are also appended as JSON lines to `--log`. `grid` writes one PNG:
9 groups (rows) × `--per-group` samples, seed 0, upscaled nearest. Figures, never pass/fail.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generators as g  # noqa: E402
from generators.base import make_generator  # noqa: E402
from generators.images import make_grid, to_uint8, upscale  # noqa: E402
from generators.metrics import evaluate_images  # noqa: E402

# The settings screened per model (the first of each is the shipped checkpoint's own default).
SWEEPS = {
    "diffusion-emoji": [{}] + [dict(guidance=w) for w in (1.5, 2.5, 3.0, 4.0)]
                       + [dict(sampler="heun", guidance=w) for w in (2.0, 3.0)]
                       + [dict(steps=20, guidance=w) for w in (2.0, 3.0)],
    "gan-emoji": [{}] + [dict(truncation=p) for p in (0.95, 0.9, 0.8, 0.7, 0.6, 0.5)],
    "vae-emoji": [{}] + [dict(temperature=t) for t in (0.9, 0.8, 0.7, 0.6, 0.5)],
}
KEYS = ("fid", "fid_real", "class_accuracy", "precision", "recall", "near_copies", "classes_covered")


def with_options(model, *, guidance_interval=None, guidance_outside: float = 1.0, prior_components=None, **options):
    """`model` whose sample() uses `options` when the caller gives none (as a checkpoint default would).
    `guidance_interval` (lo, hi), a flow model only: guide with w only while the time t is in [lo, hi], and with
    `guidance_outside` elsewhere (1: the conditional prediction alone, as in Kynkäänniemi et al. 2024, "Applying
    guidance in a limited interval"): a bench-only patch of the instance's `_predict`, to measure it before the
    engine grows the option. `prior_components` k, a conditional VAE: its prior fitted again with k components
    per group (the shipped one has 4)."""
    if prior_components is not None:
        from generators.data import load_dataset

        train = load_dataset(model.meta["dataset"], "train")
        model.meta = {**model.meta, "prior": model.fit_prior(train.x, train.y, per_class=prior_components)}
    if guidance_interval is not None:
        lo, hi = guidance_interval
        predict = model._predict
        model._predict = lambda x, t, y, w: predict(x, t, y, w if lo <= float(t) <= hi else guidance_outside)
    if options:
        model.sample = functools.partial(type(model).sample, model, **options)
    return model


def measure(name: str, n: int, seed: int, options: dict) -> dict:
    model = with_options(g.load(name, device="cpu"), **options)
    t0 = time.perf_counter()
    r = evaluate_images(model, n=n, seed=seed)
    row = {"model": name, "options": options, "n": n, "seed": seed, **{k: r[k] for k in KEYS},
           "seconds": round(time.perf_counter() - t0, 1)}
    row["fid_ratio"] = row["fid"] / row["fid_real"]
    return row


def fmt(row: dict) -> str:
    opts = ", ".join(f"{k} {v}" for k, v in row["options"].items()) or "shipped default"
    return (f"| {row['model']} | {opts} | {row['n']} | {row['fid']:.1f} ({row['fid_ratio']:.2f}×) | "
            f"{100 * row['class_accuracy']:.1f}% | {row['precision']:.2f} / {row['recall']:.2f} | "
            f"{100 * row['near_copies']:.1f}% | {row['classes_covered']} | {row['seconds']:.0f} s |")


def png(img) -> bytes:
    """Lossless PNG, zlib at its best (the grids go into the repository)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def sample_grid(model, per_group: int = 8, seed: int = 0, scale: int = 2, **options) -> bytes:
    """PNG: row c holds `per_group` samples of group c (one seeded draw of all rows at once)."""
    k = model.num_classes
    labels = torch.arange(k).repeat_interleave(per_group)
    x = model.sample(len(labels), generator=make_generator(seed, model.device), labels=labels, **options)
    return png(upscale(make_grid(to_uint8(x), nrow=per_group, pad_value=255), scale))


def real_grid(per_group: int = 8, scale: int = 2) -> bytes:
    """PNG: the first `per_group` held-out emoji of each group, laid out as sample_grid lays out samples."""
    from generators.data import load_dataset

    d = load_dataset("emoji", "heldout")
    x = torch.cat([d.x[d.y == c][:per_group] for c in range(int(d.y.max()) + 1)])
    return png(upscale(make_grid(to_uint8(x), nrow=per_group, pad_value=255), scale))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.emoji_levers", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sw = sub.add_parser("sweep", help="measure settings (SWEEPS, or --options) and print a table")
    sw.add_argument("models", nargs="+", help="checkpoint names, e.g. diffusion-emoji")
    sw.add_argument("--n", type=int, default=500, help="samples per setting (1,000 to confirm)")
    sw.add_argument("--seed", type=int, default=0)
    sw.add_argument("--options", type=json.loads, action="append", default=None,
                    help='a JSON dict of sample() keywords (repeatable); default: the SWEEPS list of each model')
    sw.add_argument("--log", default="/tmp/emoji_levers.jsonl", help="JSON lines appended here")
    gr = sub.add_parser("grid", help="write one PNG grid of a model's samples (or 'real': held-out emoji)")
    gr.add_argument("model")
    gr.add_argument("out")
    gr.add_argument("--options", type=json.loads, default={}, help="a JSON dict of sample() keywords")
    gr.add_argument("--per-group", type=int, default=8)
    gr.add_argument("--scale", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    if args.cmd == "grid":
        data = (real_grid(args.per_group, args.scale) if args.model == "real" else
               sample_grid(g.load(args.model, device="cpu"), args.per_group, 0, args.scale, **args.options))
        Path(args.out).write_bytes(data)
        print(f"{args.out}: {len(data) / 1024:.1f} KB")
        return
    print("| model | setting | n | FID (× floor) | class accuracy | precision / recall | near copies | groups | time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.models:
        for options in args.options or SWEEPS[name]:
            row = measure(name, args.n, args.seed, options)
            with open(args.log, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(fmt(row), flush=True)


if __name__ == "__main__":
    main()
