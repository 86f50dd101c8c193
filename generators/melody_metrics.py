"""Measures of melody models, the same for every family: the share of notes inside a pentatonic scale, how much of
a sample copies a training song, and (autoregressive) held-out NLL per event against an n-gram baseline."""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from . import music
from .base import make_generator
from .data import load_dataset
from .errors import EngineError

COPY_RUN = 16                      # a sample "copies" a song when it shares this many consecutive notes with it
PENTATONIC = (0, 2, 4, 7, 9)       # major pentatonic: do re mi sol la


# ----------------------------------------------------------------------------- measures of one melody
def scale_share(events) -> float:
    """The share of notes inside a major-pentatonic scale that holds the melody's last note (the best of the five
    such scales); nan for a melody without notes."""
    pcs = [m % 12 for _, _, m in music.notes(events)]
    if not pcs:
        return float("nan")
    last = pcs[-1]
    best = 0
    for deg in PENTATONIC:
        root = (last - deg) % 12
        scale = {(root + d) % 12 for d in PENTATONIC}
        best = max(best, sum(p in scale for p in pcs))
    return best / len(pcs)


class CopyIndex:
    """The longest run of consecutive notes (pitches, rhythm ignored) a melody shares with any training song."""

    def __init__(self, melodies):
        self.seqs = [tuple(m for _, _, m in music.notes(e)) for e in melodies]
        self._grams: dict[int, set] = {}

    def _has(self, run: tuple) -> bool:
        k = len(run)
        if k not in self._grams:
            self._grams[k] = {s[i:i + k] for s in self.seqs for i in range(len(s) - k + 1)}
        return run in self._grams[k]

    def longest(self, events) -> int:
        seq = tuple(m for _, _, m in music.notes(events))
        best = 0
        for i in range(len(seq)):
            k = best + 1
            while i + k <= len(seq) and self._has(seq[i:i + k]):
                best = k
                k += 1
        return best


class NGram:
    """An interpolated (Witten–Bell) n-gram model of event texts with an end token: the baseline every melody
    model's held-out NLL is compared with."""

    def __init__(self, texts, n: int = 5):
        from collections import Counter, defaultdict

        self.n, self.V = n, music.N_EVENTS + 1
        self.counts = defaultdict(Counter)
        for t in texts:
            seq = [music.N_EVENTS] * (n - 1) + [music.EVENT_CHARS.index(c) for c in t] + [music.N_EVENTS]
            for i in range(n - 1, len(seq)):
                for k in range(n):
                    self.counts[tuple(seq[i - k:i])][seq[i]] += 1

    def prob(self, ctx: tuple, x: int) -> float:
        p = 1.0 / self.V
        for k in range(0, len(ctx) + 1):
            c = self.counts.get(ctx[len(ctx) - k:] if k else ())
            if not c:
                break
            total, types = sum(c.values()), len(c)
            lam = total / (total + types)
            p = lam * c[x] / total + (1 - lam) * p
        return p

    def nll(self, texts) -> float:
        """Mean −log p per event (the end token counted), in nats."""
        tot, cnt = 0.0, 0
        for t in texts:
            seq = [music.N_EVENTS] * (self.n - 1) + [music.EVENT_CHARS.index(c) for c in t] + [music.N_EVENTS]
            for i in range(self.n - 1, len(seq)):
                tot -= math.log(self.prob(tuple(seq[i - self.n + 1:i]), seq[i]))
                cnt += 1
        return tot / max(cnt, 1)


# ----------------------------------------------------------------------------- a model's melodies and their measures
def sample_melodies(model, n: int, *, generator: torch.Generator, **options) -> list[np.ndarray]:
    """n melodies (event arrays) from any melody model: event strings from the autoregressive family, piano rolls
    read back (music.from_roll) from the image families."""
    if model.data_kind != "melody":
        raise EngineError("this {family} model does not make melodies", family=model.name)
    out = model.sample(n, generator=generator, **options)
    if model.name == "autoregressive":
        return [music.from_text(s) for s in out]
    return melodies_of(out)


def melodies_of(images) -> list[np.ndarray]:
    """Piano rolls N×1×32×32 (a tensor, values clamped to [0, 1]) → event arrays (music.from_roll)."""
    return [music.from_roll(x) for x in images.detach().float().clamp(0, 1).cpu().numpy()]


def _mean(xs) -> float:
    xs = [x for x in xs if x == x]
    return float(np.mean(xs)) if xs else float("nan")


def copy_stats(samples, index: CopyIndex) -> dict:
    runs = [index.longest(s) for s in samples]
    return {"copy_share": float(np.mean([r >= COPY_RUN for r in runs])) if runs else 0.0,
            "longest_copy_median": float(np.median(runs)) if runs else 0.0,
            "longest_copy_max": int(max(runs)) if runs else 0, "copy_run": COPY_RUN}


def evaluate_melodies(model, n: int = 300, seed: int = 0) -> dict:
    """Samples' pentatonic share (and the held-out windows' own, at the same length), copies of training songs,
    and for the autoregressive family held-out NLL per event beside a 5-gram's."""
    name = model.meta.get("dataset", "") if hasattr(model, "meta") else ""
    t0 = time.perf_counter()
    samples = sample_melodies(model, n, generator=make_generator(seed, model.device))
    per_sample = (time.perf_counter() - t0) / max(n, 1)
    out = {"n_samples": n, "sample_seconds_per_sample": per_sample, "dataset": name,
           "scale_share": _mean(scale_share(s) for s in samples),
           "notes_per_sample": float(np.mean([len(music.notes(s)) for s in samples])),
           "silent_share": float(np.mean([not music.notes(s) for s in samples]))}
    try:
        train, held = load_dataset(name, "train"), load_dataset(name, "heldout")
    except ValueError:                       # a user's file that is gone, or no dataset named: samples only
        return out
    steps = music.TEXT_STEPS if model.name == "autoregressive" else music.ROLL_STEPS
    held_w = [w for s in held.songs for w in music.windows(s, steps, steps // 2)]
    out["scale_share_heldout"] = _mean(scale_share(w) for w in held_w)
    index = CopyIndex([s.events for s in train.songs])
    out.update(copy_stats(samples, index))
    # the floor: held-out songs share phrases with training songs too (variants of one tune are in the corpus)
    out["copy_share_heldout"] = copy_stats(held_w, index)["copy_share"]
    out["n_heldout_windows"] = len(held_w)
    if model.name == "autoregressive":
        texts = [t for t in held.texts if len(t) < model.config.block_size]
        out["nll_per_event"] = float(np.mean(model.nll(texts))) if texts else float("nan")
        out["ngram_nll_per_event"] = NGram(train.texts, 5).nll(texts)
        out["ngram_order"] = 5
    elif model.name == "vae":
        x = held.x[:500].to(model.device)
        rec = melodies_of(model.reconstruct(x))
        real = melodies_of(x)
        out["reconstruction_event_accuracy"] = float(np.mean([(a == b).mean() for a, b in zip(rec, real)]))
        out["n_heldout"] = len(real)
    return out


def ship(run: str, name: str, n: int = 1000, seed: int = 0) -> dict:
    """A training run's checkpoint → checkpoints/<name>: its (EMA) weights in half precision, config, derived fields
    (a VAE's fitted prior) and `evaluate`'s numbers at n samples of the shipped weights in its JSON."""
    from . import load
    from .base import CHECKPOINT_DIR, save_checkpoint
    from .metrics import evaluate

    from .base import checkpoint_paths, read_meta, write_meta

    model = load(run, device="cpu").eval()
    model.meta.update(model.derived_meta())          # a VAE's prior fitted to the encoded training songs
    info = {k: model.meta[k] for k in ("ema", "recipe", "prior") if k in model.meta}
    path = save_checkpoint(model.half(), CHECKPOINT_DIR / name, dataset=model.meta["dataset"], info=info,
                           steps=model.meta.get("steps", 0))        # half precision: half the bytes on a Space
    r = evaluate(load(path, device="cpu").eval(), n=n, seed=seed)   # measured as shipped (loaded back as float32)
    keep = {k: v for k, v in r.items()               # what describes the model (timings belong to a machine)
            if k not in ("checkpoint", "device", "family", "parameters", "sample_seconds_per_sample")}
    cpath = checkpoint_paths(path)[1]
    write_meta(cpath, {**read_meta(cpath), "metrics": keep})
    return keep


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m generators.melody_metrics",
                                 description="ship a melody run: checkpoints/NAME with evaluate()'s numbers")
    ap.add_argument("run", help="the run's checkpoint path")
    ap.add_argument("name", help="the shipped name, e.g. autoregressive-melodies")
    ap.add_argument("--n", type=int, default=1000, help="samples to measure (default 1000)")
    args = ap.parse_args()
    print(json.dumps(ship(args.run, args.name, args.n), indent=2, sort_keys=True))
