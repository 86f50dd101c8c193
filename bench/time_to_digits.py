"""python -m bench.time_to_digits — how long until a run from scratch, with its family's default recipe, is good?

Trains each family from scratch exactly as `python -m generators train FAMILY --dataset mnist` (names for the
autoregressive family) does with no other flags — config from `config_for`, recipe, batch size and steps from
`run_defaults` — at torch's default thread count (what the app's Train tab steps with), and every --every
training seconds (the clock is paused while measuring) asks:
  gan, diffusion   how many of 200 conditional samples (20 per digit, seed 7) the digit classifier reads as asked
  vae              how many reconstructions of the 500 held-out digits it reads as their digit
  autoregressive   held-out NLL per character, beside the character bigram's
Prints the table, writes a PNG of the curves (--plot), then the Train tab's steps/s beside the CLI's for the
same recipe (--ratio-seconds; 0 skips it). Figures, never pass/fail.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILIES = ("diffusion", "gan", "vae", "autoregressive")
DATASET = {"gan": "mnist", "diffusion": "mnist", "vae": "mnist", "autoregressive": "names"}
TARGET_S = {"diffusion": 120, "gan": 180, "vae": 60, "autoregressive": 20}    # issue 17's targets, 2 CPU cores
MEASURE = {"gan": "class accuracy", "diffusion": "class accuracy", "vae": "held-out reconstructions read",
           "autoregressive": "held-out NLL/char"}


def class_accuracy(model, n: int = 200, **kw) -> float:
    """Share of n conditional samples (n/10 per digit, seed 7) the classifier reads as the digit asked for."""
    from generators.base import make_generator
    from generators.metrics import load_classifier

    y = torch.arange(n) % 10
    with torch.no_grad():
        imgs = model.sample(n, generator=make_generator(7, model.device), labels=y.to(model.device), **kw).cpu()
        _, p = load_classifier().embed(imgs)
    return (p.argmax(1) == y).float().mean().item()


def reconstruction_accuracy(model) -> float:
    """Share of the held-out digits whose reconstruction (z = μ) the classifier reads as their digit."""
    from generators.data import load_mnist
    from generators.metrics import load_classifier

    d = load_mnist("heldout")
    with torch.no_grad():
        x = model.reconstruct(d.x.to(model.device), d.y.to(model.device) if model.num_classes else None).cpu()
        _, p = load_classifier().embed(x)
    return (p.argmax(1) == d.y).float().mean().item()


class Goal:
    """A family's measure and when it counts as reached (accuracy ≥ 90%; NLL below the bigram's)."""

    def __init__(self, family: str, model, target: float):
        self.family, self.model, self.target = family, model, target
        if family == "autoregressive":
            from generators.autoregressive import Bigram
            from generators.data import load_dataset

            self.held = [t for t in load_dataset("names", "heldout").texts if len(t) < model.config.block_size]
            self.target = Bigram(model.config.vocab, load_dataset("names", "train").texts).nll_per_char(self.held)

    def measure(self) -> float:
        m = self.model
        if self.family == "vae":
            return reconstruction_accuracy(m)
        if self.family == "autoregressive":
            chars = [len(t) + 1 for t in self.held]                # + the end token
            return sum(a * c for a, c in zip(m.nll(self.held), chars)) / sum(chars)
        return class_accuracy(m)

    def reached(self, value: float) -> bool:
        return value < self.target if self.family == "autoregressive" else value >= self.target

    def show(self, value: float) -> str:
        return f"{value:.3f}" if self.family == "autoregressive" else f"{value:.1%}"


def curve(family: str, *, every: float, seconds: float | None, target: float, device) -> dict:
    """Train `family` from scratch with its defaults, measuring every `every` training seconds → the curve."""
    import generators
    from generators.data import load_dataset
    from generators.recipe import run_defaults
    from generators.train import train

    ds = DATASET[family]
    model = generators.build(family, ds, seed=0).to(device)
    d = run_defaults(model, ds)
    goal = Goal(family, model, target)
    rows, trained, reached = [], 0.0, None
    mark = every
    t0 = time.perf_counter()
    for ev in train(model, load_dataset(ds, "train"), steps=d.steps, batch_size=d.batch_size, recipe=d.recipe,
                    seed=0, sample_every=0):
        if ev["event"] != "step":
            continue
        now = trained + time.perf_counter() - t0
        last = ev["step"] == ev["total"] or (seconds is not None and now >= seconds)
        if now < mark and not last:
            continue
        trained, mark = now, now + every
        model.eval()
        value = goal.measure()
        model.train()
        rows.append((ev["step"], trained, value))
        if reached is None and goal.reached(value):
            reached = (ev["step"], trained)
        print(f"{family}: step {ev['step']}, {trained:.1f} s training, {MEASURE[family]} {goal.show(value)}", flush=True)
        if last:
            break
        t0 = time.perf_counter()
    return {"family": family, "rows": rows, "reached": reached, "defaults": d, "goal": goal,
            "config": model.config, "parameters": model.num_parameters()}


def table(results: list[dict]) -> str:
    """Markdown: one row per family (recipe, time to target) and one per measurement."""
    out = ["| family | default run | target | reached at |", "|---|---|---|---|"]
    for r in results:
        d, goal, fam = r["defaults"], r["goal"], r["family"]
        rec = d.recipe
        run = (f"{r['parameters']:,} params, batch {d.batch_size}, {d.steps} steps, lr {r['config'].lr:g}, "
               f"warmup {rec.warmup}, {rec.schedule}, EMA {rec.ema_decay:g}")
        want = f"{'<' if fam == 'autoregressive' else '≥'} {goal.show(goal.target)} in ≤ {TARGET_S[fam]} s"
        got = (f"**{r['reached'][1]:.0f} s** (step {r['reached'][0]})" if r["reached"] else "not reached")
        out.append(f"| {fam} | {run} | {want} | {got} |")
    out += ["", "| family | step | training s | measure |", "|---|---|---|---|"]
    for r in results:
        out += [f"| {r['family']} | {s} | {t:.1f} | {r['goal'].show(v)} |" for s, t, v in r["rows"]]
    return "\n".join(out)


def plot(results: list[dict], path: Path) -> None:
    """One panel per family: its measure against training seconds, the target and the time budget dashed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(results), 3.0), dpi=100)
    for i, r in enumerate(results):
        ax = fig.add_subplot(1, len(results), i + 1)
        fam, goal = r["family"], r["goal"]
        t = [row[1] for row in r["rows"]]
        v = [row[2] for row in r["rows"]]
        ax.plot(t, v, marker="o", ms=3, color="#2e86ab")
        ax.axhline(goal.target, ls="--", color="#e4572e", lw=1)
        ax.axvline(TARGET_S[fam], ls=":", color="#888888", lw=1)
        ax.set_title(fam, fontsize=10)
        ax.set_xlabel("training seconds")
        ax.set_ylabel(MEASURE[fam], fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


# ----------------------------------------------------------------------------- the Train tab beside the CLI
def cli_rate(family: str, steps: int) -> float:
    """Steps/s of `python -m generators train FAMILY --dataset … --steps N` (its own "done: N steps in X s")."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "generators", "train", family, "--dataset", DATASET[family], "--steps",
               str(steps), "--device", "cpu", "--out", str(Path(d) / "run"), "--checkpoint-every", "0"]
        err = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stderr
    n, secs = re.search(r"done: (\d+) steps in ([\d.]+) s", err).groups()
    return int(n) / float(secs)


class _Timed:
    """The engine's event stream, adding up the time spent computing each kind of event."""

    def __init__(self, events):
        self.events, self.spent = events, {}

    def __iter__(self):
        return self

    def __next__(self):
        t = time.perf_counter()
        ev = next(self.events)                   # StopIteration ends the stream
        self.spent[ev["event"]] = self.spent.get(ev["event"], 0.0) + time.perf_counter() - t
        return ev

    def close(self):
        self.events.close()


def tab_rate(family: str, steps: int, every: int) -> tuple[float, dict]:
    """Steps/s of the Train tab's Start on the family's dataset, driven as `ui.train.start` drives it (its form's
    defaults, but the family's default batch size; lr 0 → the family's), without a browser: begin, then advance + outputs until done; with the app's
    threads (requests 1, the run's pulls torch's default). → (rate, seconds by where they went)."""
    from ui import common as C
    from ui import train as T

    import generators
    from generators import train as engine
    from generators.recipe import run_defaults

    real_train = engine.train
    batch = run_defaults(generators.REGISTRY[family], DATASET[family]).batch_size     # the CLI's, for a fair rate
    threads, before = torch.get_num_threads(), C.TRAIN_THREADS
    C.TRAIN_THREADS = threads                  # as app.py sets them
    torch.set_num_threads(1)
    try:
        r = T.Run()
        _, _, data, overrides, run = T._config(family, DATASET[family], None, 0, batch, steps, 0, "bce", 0, 1.0,
                                               "cosine", 0, 0, 0, 0, every)
        model = T.build_model(family, DATASET[family], data, overrides, run["seed"]).to("cpu")
        T.begin(r, model, data, family=family, **run)
        streams = []                             # the engine's event streams the run's updates pull from, timed

        def timed_train(*args, **kwargs):
            streams.append(_Timed(real_train(*args, **kwargs)))
            yield from streams[-1]
        engine.train = timed_train
        shown = 0.0
        r.phase = "running"                      # as `start` sets it once the run has its slot
        t0 = time.perf_counter()
        for _ in T.advance(r):
            t = time.perf_counter()
            T.outputs(r)                         # what `start` yields to the page after each update
            shown += time.perf_counter() - t
        wall = time.perf_counter() - t0
    finally:
        engine.train = real_train
        torch.set_num_threads(threads)
        C.TRAIN_THREADS = before
    spent = {"steps": sum(s.spent.get("step", 0.0) for s in streams),
             "previews": sum(s.spent.get("samples", 0.0) for s in streams), "page updates (outputs)": shown}
    spent["the tab's own bookkeeping"] = wall - sum(spent.values())
    return r.step / wall, spent


def ratio_rows(families, seconds: float) -> list[str]:
    """The CLI's and the Train tab's steps/s for each family's defaults, ~`seconds` of training each."""
    out = ["| family | CLI steps/s | Train tab steps/s (preview every 25) | CLI ÷ tab | where the tab's time went |",
           "|---|---|---|---|---|"]
    for fam in families:
        probe = cli_rate(fam, 20)
        steps = max(20, int(probe * seconds))
        cli = cli_rate(fam, steps)
        tab, spent = tab_rate(fam, steps, every=25)
        where = ", ".join(f"{k} {v:.1f} s" for k, v in spent.items())
        out.append(f"| {fam} | {cli:.2f} | {tab:.2f} | **{cli / tab:.2f}×** | {steps} steps: {where} |")
        print(out[-1], flush=True)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.time_to_digits", description=__doc__.splitlines()[0])
    ap.add_argument("--family", default=",".join(FAMILIES), help=f"comma-separated, of {', '.join(FAMILIES)}")
    ap.add_argument("--seconds", type=float, default=None,
                    help="training seconds per family at most (default: the whole default run)")
    ap.add_argument("--every", type=float, default=None, help="training seconds between measurements "
                                                              "(default: a twelfth of the family's target time)")
    ap.add_argument("--target", type=float, default=0.9, help="accuracy that counts as readable")
    ap.add_argument("--plot", default=str(ROOT / "bench" / "time_to_digits.png"), help="PNG of the curves ('': none)")
    ap.add_argument("--ratio-seconds", type=float, default=20.0,
                    help="training seconds per family for the Train tab vs CLI steps/s (0: skip)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    families = [f for f in args.family.split(",") if f]
    if unknown := set(families) - set(FAMILIES):
        ap.error(f"unknown family {', '.join(sorted(unknown))} (use {', '.join(FAMILIES)})")

    from generators.base import resolve_device

    device = resolve_device(args.device)
    load = os.getloadavg()
    print(f"# time to target from scratch on {device}, torch {torch.__version__}, {torch.get_num_threads()} "
          f"threads, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)", flush=True)
    results = [curve(f, every=args.every or TARGET_S[f] / 12, seconds=args.seconds, target=args.target, device=device)
               for f in families]
    print(table(results), flush=True)
    if args.plot:
        plot(results, Path(args.plot))
        print(f"wrote {args.plot}", flush=True)
    if args.ratio_seconds and device.type == "cpu":
        print("\n".join(ratio_rows(families, args.ratio_seconds)), flush=True)
    load = os.getloadavg()
    print(f"# load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)


if __name__ == "__main__":
    main()
