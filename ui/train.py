"""The Train tab: train any family live with the shared engine; watch curves, samples and the 2D view update.

Per-session state (a `Run` in gr.State) holds the model, the engine's event stream (paused runs keep it, so
Start continues where Pause left off), and the loss history of every run of the session (earlier runs grey).
"Explore this model" publishes the session's model for the family tabs: `explored_model(request, family)`.
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import heapq
import io
import math
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import anyio
import gradio as gr
import numpy as np
import pandas as pd
import torch

import generators
from generators.base import make_generator, resolve_device, save_checkpoint
from generators.threads import thread_threads
from generators.data import (MAX_IMAGES, MAX_UPLOAD, TEXT_SETS, TOY_SETS, Dataset,  # noqa: F401 (MAX_IMAGES: tests)
                             load_dataset, load_user_data)
from generators.recipe import run_defaults
from generators.train import TrainState, restore_state, state_tensors, train

from . import common as C
from . import lessons

MAX_RUNS = 2                 # concurrent training runs across all sessions (the rest wait, told their place)
RUN_LIMIT_S = 600            # wall-clock limit per run
MAX_STEPS = 20_000
UPDATE_S = 0.5               # the page is updated at least this often while a run streams
LEASE_S = 10                 # a slot whose run stopped reporting for this long is free again
WAITING_ROOM = 32            # Starts handled at once: MAX_RUNS run, the rest are told their place in line and wait
                             # without a worker thread; beyond that Gradio's queue shows its own position
MAX_POINTS_PER_SERIES = 400
MAX_CURVE = 5_000            # loss points saved with a downloaded checkpoint
UPLOAD = "upload (.zip of images / .txt)"   # the value the API takes: kept as it was (a .npy goes too)
DATASETS = ["mnist", *TOY_SETS, *TEXT_SETS, UPLOAD]
GAN_LOSSES = ["bce", "hinge", "wgan-gp"]
SCHEDULES = ["cosine", "linear"]

LESSON = """**Train a model live.** Pick a family and a dataset, press **Start** and watch the losses and the samples
(always from the same fixed noise) change as it learns. **Pause** keeps the run; **Start** continues it; **Step once**
runs one step. Runs you finished stay on the plot in grey, so change one setting and compare. On a 2D set the GAN
shows its discriminator's opinion (red: "real") and arrows where the generator is pushed."""


# ----------------------------------------------------------------------------- session state
@dataclasses.dataclass
class Run:
    """One session's training: the current model and event stream, and every run's loss history."""
    model: object = None
    dataset: Dataset | None = None
    family: str = ""
    events: object = None          # the engine's iterator; kept while paused
    step: int = 0
    total: int = 0
    rate: float = 0.0
    device: str = ""
    phase: str = "idle"            # idle | running | paused | stopped | finished | error
    stop: bool = False
    run_id: int = 0
    history: list = dataclasses.field(default_factory=list)   # (run_id, series, step, value)
    samples: object = None
    real: object = None            # a subset of real 2D points for the scatter
    optimizers: object = None      # the run's TrainState: optimisers, raw weights (saved with Download, to continue)
    resume: bool = False           # an uploaded checkpoint waiting for Start to continue training it
    previews: int = 0              # samples events seen (the pictures are redrawn when it changes)
    drawn: tuple = ()              # what the pictures on the page were drawn from
    figure_drawn: tuple = ()       # what the 2D figure was drawn from (it may lag `drawn`: see outputs)
    figure_at: float = 0.0         # time.monotonic() when it was last drawn
    figure_cost: float = 0.0       # seconds that drawing took
    timelapse: list = dataclasses.field(default_factory=list)   # (step, samples) of the current run's previews


def _run(state) -> Run:
    return state if isinstance(state, Run) else Run()


# ----------------------------------------------------------------------------- a global cap on runs
_SLOTS: dict[int, float] = {}      # id(Run) → last heartbeat
_ETA: dict[int, tuple[float, float]] = {}   # id(Run) of a running run → (seconds left, seconds in all) at its rate
_WAITING: list[int] = []
_SLOT_LOCK = threading.Lock()


def _try_slot(key: int, r: Run | None = None) -> int:
    """0 when `key` holds a slot (taken now or already; `r`, its run, reports its pace), else its place in the
    waiting line (1 = next)."""
    now = time.monotonic()
    with _SLOT_LOCK:
        for k, beat in list(_SLOTS.items()):
            if now - beat > LEASE_S:
                del _SLOTS[k]                      # a run that stopped without releasing (closed tab)
                _ETA.pop(k, None)
        if key not in _WAITING and key not in _SLOTS:
            _WAITING.append(key)
        if key in _SLOTS or (len(_SLOTS) < MAX_RUNS and _WAITING[0] == key):
            _SLOTS[key] = now
            if key in _WAITING:
                _WAITING.remove(key)
            if r is not None and r.rate > 0 and r.total:
                _ETA[key] = ((r.total - r.step) / r.rate, r.total / r.rate)
            return 0
        return _WAITING.index(key) + 1


def _release(key: int) -> None:
    with _SLOT_LOCK:
        _SLOTS.pop(key, None)
        _ETA.pop(key, None)
        if key in _WAITING:
            _WAITING.remove(key)


def wait_estimate(place: int) -> float | None:
    """Seconds until the `place`-th in line starts, if the running runs keep their pace and each run after them
    takes as long as theirs do on average (capped at RUN_LIMIT_S); None until every running run has a pace."""
    with _SLOT_LOCK:
        running = [_ETA.get(k) for k in _SLOTS]
    if len(running) < MAX_RUNS:
        return 0.0
    if None in running:
        return None
    typical = min(RUN_LIMIT_S, sum(total for _, total in running) / len(running))
    ends = [min(left, RUN_LIMIT_S) for left, _ in running]     # when each slot frees
    heapq.heapify(ends)
    for _ in range(place - 1):                                  # those ahead take a slot each, in turn
        heapq.heappush(ends, heapq.heappop(ends) + typical)
    return ends[0]


def waiting_phase(place: int) -> str:
    eta = wait_estimate(place)
    when = ("the wait is estimated once the running runs report their pace" if eta is None else
            f"about {max(1, round(eta))} s" if eta < 90 else f"about {round(eta / 60)} min")
    return f"waiting: all {MAX_RUNS} training slots are busy, you are number {place} in line ({when})"


# ----------------------------------------------------------------------------- families and data
def available_families() -> list[str]:
    """Families whose config can be built (a family still being written raises NotImplementedError)."""
    out = []
    for name, cls in generators.REGISTRY.items():
        for ds in ("mnist", "8gaussians", "names"):
            try:
                cls.config_for(ds)
            except NotImplementedError:
                break
            except ValueError:
                continue
            out.append(name)
            break
    return out


def datasets_for(family: str) -> list[str]:
    cls = generators.REGISTRY[family]
    out = []
    for ds in DATASETS[:-1]:
        try:
            cls.config_for(ds)
            out.append(ds)
        except (ValueError, NotImplementedError):
            pass
    return out + [UPLOAD]


def load_upload(path) -> Dataset:
    """A user's .zip of images, .txt (one item per line) or .npy of points: `generators.data.load_user_data`
    (its size caps and one-line errors, shown to the user); the train split."""
    if not path:
        raise gr.Error("Choose a .zip of images, a .txt file or a .npy of points to upload")
    try:
        return load_user_data(path, "train")
    except ValueError as e:
        raise gr.Error(str(e)) from None


def build_model(family, dataset_name, data, overrides, seed):
    """A fresh model for the chosen data (an upload: shaped by its file, as `train --dataset FILE` is; a zip's
    images train unconditionally, `generators.build` sees to that)."""
    fields = {f.name for f in dataclasses.fields(generators.REGISTRY[family].Config)}
    overrides = {k: v for k, v in overrides.items() if k in fields and v is not None}
    source = str(data.source) if dataset_name == UPLOAD else dataset_name
    return generators.build(family, source, seed=seed, **overrides)


# ----------------------------------------------------------------------------- views
def status_text(r: Run) -> str:
    return (f"**{r.phase}** · step {r.step} / {r.total} · {r.rate:.1f} steps/s · "
            f"{r.device or resolve_device('auto')}" + (f" · {r.family}" if r.family else ""))


def curve_frame(r: Run) -> pd.DataFrame:
    """Long table (step, loss, series); each series thinned to at most MAX_POINTS_PER_SERIES rows."""
    if not r.history:
        return pd.DataFrame({"step": pd.Series([], dtype="int64"), "loss": pd.Series([], dtype="float64"),
                             "series": pd.Series([], dtype="str")})
    df = pd.DataFrame(r.history, columns=["run", "series", "step", "loss"])
    parts = []
    for _, g in df.groupby("series", sort=False):
        stride = max(1, len(g) // MAX_POINTS_PER_SERIES)
        parts.append(g.iloc[::stride])
    return pd.concat(parts)[["step", "loss", "series"]].reset_index(drop=True)


def curve_update(r: Run):
    if not r.history and r.model is not None:
        return gr.skip()                                # nothing new yet (a run waiting for its slot)
    df = curve_frame(r)
    palette = ["#e4572e", "#17bebb", "#2e86ab", "#76b041", "#ffc914", "#9b5de5"]
    cmap, k = {}, 0
    for s in df["series"].unique():
        if s.startswith(f"run {r.run_id}:"):
            cmap[s] = palette[k % len(palette)]
            k += 1
        else:
            cmap[s] = "#c8c8c8"                         # earlier runs, greyed for comparison
    return gr.LinePlot(value=df, color_map=cmap)


def figure_2d(r: Run):
    """The live picture beside the samples: for 2D sets real vs generated points (a GAN adds its discriminator's
    heatmap and gradient arrows, diffusion the particles' paths from noise to data); for a VAE on images its
    encoded cloud of held-out digits and their reconstructions."""
    if r.model is None:
        return None
    if r.family == "vae" and r.dataset is not None and r.dataset.kind == "image" and r.dataset.x is not None:
        return _vae_figure(r)
    if r.samples is None or not torch.is_tensor(r.samples) or r.samples.dim() != 2:
        return None
    from matplotlib.figure import Figure

    fake = r.samples.detach().float().cpu()
    real = r.real if r.real is not None else fake[:0]
    paths = _diffusion_paths(r.model, len(fake)) if r.family == "diffusion" else None
    ref = real if len(real) else fake                   # frame the data; stray samples may fall outside
    lim = float(ref.abs().max().clamp(min=2.5, max=50.0)) * 1.3 if torch.isfinite(ref).all() else 5.0
    fig = Figure(figsize=(5, 5), dpi=80)
    ax = fig.add_subplot()
    model = r.model
    if r.family == "gan" and hasattr(model, "discriminate"):
        n = 60
        xs = torch.linspace(-lim, lim, n)
        grid = torch.stack(torch.meshgrid(xs, xs, indexing="xy"), -1).reshape(-1, 2).to(model.device)
        with torch.no_grad():
            d = torch.sigmoid(model.discriminate(grid).float()).reshape(n, n).cpu()
        ax.imshow(d.numpy(), extent=(-lim, lim, -lim, lim), origin="lower", cmap="RdBu_r", vmin=0, vmax=1, alpha=0.5)
        x = fake[:64].to(model.device).requires_grad_(True)
        grad, = torch.autograd.grad(model.discriminate(x).sum(), x)   # where G's samples are pushed
        grad = grad.cpu() / grad.norm(dim=1, keepdim=True).clamp_min(1e-8)
        ax.quiver(fake[:64, 0], fake[:64, 1], grad[:, 0], grad[:, 1], color="k", width=0.004, scale=25)
    if paths is not None:                               # (frames, n, 2): noise (grey) → data (orange)
        p = paths[:, :64].numpy()
        ax.plot(p[:, :, 0], p[:, :, 1], color="#999999", lw=0.6, alpha=0.6)
        ax.scatter(p[0, :, 0], p[0, :, 1], s=4, c="#999999", alpha=0.7, label="noise x_T")
    ax.scatter(real[:, 0], real[:, 1], s=3, c="#2e86ab", alpha=0.4, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=5, c="#e4572e", alpha=0.8, label="generated")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def _diffusion_paths(model, n: int):
    """The preview particles' reverse-process paths: (frames, n, 2), from the same fixed noise as the preview."""
    if not hasattr(model, "trajectory") or model.data_kind != "points":
        return None
    with torch.no_grad():
        steps = min(25, model.max_steps)          # DDIM (η = 0) or Euler (flow): smooth, deterministic paths
        xs = [x.float().cpu() for *_, x, _ in model.trajectory(n, generator=make_generator(1234, model.device),
                                                             frames=steps, sampler=model.samplers[0], steps=steps)]
    return torch.stack(xs) if xs else None


@functools.lru_cache(maxsize=1)
def _heldout_digits(n: int = 500):
    from generators.data import load_dataset

    d = load_dataset("mnist", "heldout")
    idx = torch.arange(0, len(d), max(1, len(d) // n))[:n]
    return d.x[idx], d.y[idx]


def _vae_figure(r: Run):
    """Held-out digits encoded (μ; first two principal axes when the latent has more than two dimensions),
    coloured by class, beside a row of digits and their reconstructions."""
    from matplotlib.figure import Figure

    model = r.model
    if r.dataset.name == "mnist":
        x, y = _heldout_digits()
    else:                                                # the user's own images: no classes to colour by
        x = r.dataset.x[:500]
        y = torch.zeros(len(x), dtype=torch.long)
    sel = torch.arange(8) * max(1, len(x) // 8) % len(x)          # one of each class where sorted by class
    with torch.no_grad():
        labels = y.to(model.device) if model.num_classes else None
        mu = model.encode(x.to(model.device), labels=labels).float().cpu()
        rec = model.decode(mu[sel].to(model.device), labels=labels[sel] if labels is not None else None).float().cpu()
    if mu.shape[1] > 2:
        centred = mu - mu.mean(0)
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        mu, axes = centred @ v[:2].T, "principal axes of μ"
    else:
        axes = "z₁, z₂"
    fig = Figure(figsize=(5, 6), dpi=80)
    ax = fig.add_axes((0.1, 0.3, 0.85, 0.65))
    sc = ax.scatter(mu[:, 0], mu[:, 1], c=y.numpy(), cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
    fig.colorbar(sc, ax=ax, ticks=range(10), fraction=0.04)
    ax.set_title(f"encoded held-out digits ({axes})", fontsize=9)
    strip = torch.cat([torch.cat(list(x[sel, 0]), 1), torch.cat(list(rec[:, 0].clamp(0, 1)), 1)], 0)
    ax2 = fig.add_axes((0.05, 0.02, 0.9, 0.2))
    ax2.imshow(strip.numpy(), cmap="gray", vmin=0, vmax=1)
    ax2.set_axis_off()
    ax2.set_title("held-out digits (top) and their reconstructions", fontsize=9)
    return fig


FIGURE_SHARE = 0.05                # a running run spends at most this share of its time drawing its 2D figure


def outputs(r: Run):
    """(state, status, curve, sample grid, 2D figure, text samples) for the current state of the run; the
    pictures are redrawn only when the run has new samples. The 2D figure (a VAE's encoded digits, a GAN's
    discriminator field: 0.1–0.5 s of CPU on the stream's thread) is also held back while a run is running until
    FIGURE_SHARE of the time since it was last drawn would pay for it, so the Train tab keeps the CLI's pace;
    it is always drawn once the run pauses, stops or ends."""
    s = r.samples
    key = (id(r.model), r.run_id, r.previews)
    now = time.monotonic()
    figure_due = key != r.figure_drawn and (
        r.phase != "running" or now - r.figure_at >= r.figure_cost / FIGURE_SHARE)
    if key == r.drawn and s is not None and not figure_due:
        return r, status_text(r), curve_update(r), gr.skip(), gr.skip(), gr.skip()
    img = txt = gr.skip()
    if key != r.drawn or s is None:
        r.drawn = key
        img = C.grid_image(s, nrow=4, scale=3) if torch.is_tensor(s) and s.dim() == 4 else None
        txt = "\n".join(s) if isinstance(s, list) else ""
    fig = gr.skip()
    if figure_due or s is None:
        t = time.monotonic()
        fig = figure_2d(r)
        r.figure_drawn, r.figure_at, r.figure_cost = key, now, time.monotonic() - t
    return r, status_text(r), curve_update(r), img, fig, txt


# ----------------------------------------------------------------------------- the engine stream
def begin(r: Run, model, data: Dataset, *, family: str, steps: int, batch: int, lr, seed: int, every: int,
          start_step: int = 0, optimizers: dict | None = None) -> None:
    """Point the session at a model and a new engine event stream (nothing runs yet); a continued model
    counts on from `start_step` with its saved `optimizers`."""
    r.model, r.dataset, r.family = model, data, family
    if not start_step:
        r.run_id += 1
        r.timelapse = []
    r.step, r.total, r.rate, r.stop, r.phase, r.samples = start_step, start_step + steps, 0.0, False, "ready", None
    # a fresh run trains with its family's recipe for this kind of data (the CLI's default: warmup, schedule, EMA)
    r.optimizers = optimizers or TrainState(model, model.configure_optimizers(lr),
                                            recipe=run_defaults(model, data).recipe)
    r.resume = False
    r.device = str(model.device)
    r.real = data.x[torch.randperm(len(data), generator=make_generator(seed))[:500]] if data.kind == "points" else None
    n_samples = 256 if data.kind == "points" else 16
    r.events = train(model, data, steps=steps, batch_size=batch, lr=lr, seed=seed, sample_every=every,
                     n_samples=n_samples, time_limit=RUN_LIMIT_S, state=r.optimizers)


def advance(r: Run, max_steps: int | None = None):
    """Pull engine events into `r`, yielding after each preview or UPDATE_S seconds; stops after `max_steps`
    steps, at the end of the run, or when Stop sets `r.stop`. A CUDA out-of-memory frees the run.

    The events are computed with C.TRAIN_THREADS torch threads on the thread that pulls them; requests keep
    their one thread (app.py). The count is set once per stretch of events between two yields, not twice per
    step: Gradio may resume the stream on another worker thread after a yield, so it is set again after each."""
    last, done_steps = time.monotonic(), 0
    threads = thread_threads(C.TRAIN_THREADS)
    try:
        threads.__enter__()
        for ev in r.events:
            kind = ev["event"]
            if kind == "start":
                r.device, r.total = ev["device"], ev["total"]
            elif kind == "step":
                r.step, r.rate = ev["step"], ev["steps_per_s"]
                r.history += [(r.run_id, f"run {r.run_id}: {k}", ev["step"], float(v)) for k, v in ev["losses"].items()]
                done_steps += 1
            elif kind == "samples":
                r.samples, r.previews = ev["samples"], r.previews + 1
                keep_frame(r, ev["step"], ev["samples"])
            elif kind == "done":
                r.events, r.phase = None, "finished" if ev["stopped"] == "finished" else "stopped (time limit)"
                r.model.eval()
                threads.__exit__(None, None, None)
                yield r
                return
            if r.stop:
                break
            if kind == "samples" or time.monotonic() - last > UPDATE_S or (max_steps and done_steps >= max_steps):
                last = time.monotonic()
                threads.__exit__(None, None, None)      # the next stretch may run on another thread
                yield r
                threads.__enter__()
            if max_steps and done_steps >= max_steps:
                return
    except torch.cuda.OutOfMemoryError:
        _free(r)
        raise gr.Error("Out of GPU memory: the run was stopped and its memory freed. "
                       "Try a smaller batch or model.") from None
    except gr.Error:
        raise
    except Exception as e:             # any fault inside a step: tell this user, free the run, the next one works
        step = r.step
        _free(r, "error")
        msg = str(e).splitlines()[0][:200] if str(e) else ""
        raise gr.Error(f"The run failed at step {step + 1} ({type(e).__name__}{': ' + msg if msg else ''}); "
                       "it was stopped and its memory freed. Press Start to begin a new run.") from None
    finally:
        threads.__exit__(None, None, None)            # a no-op when already out (after a yield)
    if r.stop:
        _finish(r, "stopped")
        yield r


def _finish(r: Run, phase: str) -> None:
    if r.events is not None:
        try:
            r.events.close()
        except ValueError:             # still executing in the streaming thread: it will see r.stop
            pass
    r.events, r.phase = None, phase
    if r.model is not None:
        r.model.eval()


def _free(r: Run, why: str = "out of memory") -> None:
    if r.events is not None:
        try:
            r.events.close()
        except ValueError:             # still executing in another thread
            pass
    r.events = r.model = r.samples = None
    r.phase = f"error: {why}"
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


# ----------------------------------------------------------------------------- handlers
def _opt(value, name, lo, hi, integer=False):
    """Blank or 0 → None (the family's default for the dataset), else a validated number."""
    return None if value in (None, "", 0) else C.number(value, name, lo, hi, integer=integer)


def _opt_choice(value, name, options):
    return None if value in (None, "") else C.choice(value, name, options)


def _config(family, dataset, upload, lr, batch, steps, latent, loss, n_critic, beta, schedule, timesteps,
            n_layer, n_embd, seed, every):
    family = C.choice(family, "Family", available_families())
    dataset = C.choice(dataset, "Dataset", DATASETS)
    if dataset == UPLOAD:
        data = load_upload(upload)
        data.source = upload
    else:
        data = load_dataset(dataset, "train")
    overrides = dict(lr=_opt(lr, "Learning rate", 1e-6, 1.0), latent_dim=_opt(latent, "Latent size", 1, 512, True),
                     loss=_opt_choice(loss, "GAN loss", GAN_LOSSES), n_critic=_opt(n_critic, "D steps per G step", 1, 10, True),
                     beta=C.number(beta, "β", 0, 100), schedule=_opt_choice(schedule, "Schedule", SCHEDULES),
                     timesteps=_opt(timesteps, "T", 10, 2000, True), n_layer=_opt(n_layer, "Layers", 1, 8, True),
                     n_embd=_opt(n_embd, "Width", 8, 512, True))
    if family != "gan":
        overrides.pop("loss")
        overrides.pop("n_critic")
    run = dict(steps=C.number(steps, "Steps", 1, MAX_STEPS, integer=True), batch=C.number(batch, "Batch", 1, 1024, integer=True),
               lr=overrides["lr"], seed=C.seed(seed), every=C.number(every, "Preview every", 1, 10_000, integer=True))
    return family, dataset, data, overrides, run


def _ensure_run(state, settings):
    """The session's run: the one under way or paused; an uploaded checkpoint continued (its config, weights,
    optimizer state and step count, on the chosen dataset); else a fresh model and run from `settings`."""
    r = _run(state)
    if r.events is None and r.resume and r.model is not None:
        _, dataset, data, _, run = _config(r.family, *settings[1:])
        if data.kind != r.model.data_kind:
            raise gr.Error(f"this {r.family} checkpoint trains on {r.model.data_kind} data; "
                           f"choose a dataset of that kind ({dataset!r} is {data.kind})")
        run.pop("lr")
        begin(r, r.model, data, family=r.family, lr=None, start_step=r.step, optimizers=r.optimizers, **run)
    elif r.events is None:
        family, dataset, data, overrides, run = _config(*settings)
        model = build_model(family, dataset, data, overrides, run["seed"]).to(resolve_device("auto"))
        begin(r, model, data, family=family, **run)
    return r


@C.engine_errors
async def start(state, *settings):
    """Start a run (or continue a paused one), streaming every few steps. While all slots are busy it says its
    place in line and an estimate, and waits on the event loop (no worker thread held by a waiting student);
    the steps, and drawing their pictures, run on a worker thread."""
    r = await anyio.to_thread.run_sync(_ensure_run, state, settings)
    r.stop, key = False, id(r)
    try:
        while (place := _try_slot(key)) and not r.stop:
            r.phase = waiting_phase(place)
            yield await anyio.to_thread.run_sync(outputs, r)
            await asyncio.sleep(1.0)
        r.phase = "running"
        steps = advance(r)
        while await anyio.to_thread.run_sync(next, steps, None) is not None:
            _try_slot(key, r)                       # heartbeat, with the run's pace for the line's estimates
            yield await anyio.to_thread.run_sync(outputs, r)
        yield await anyio.to_thread.run_sync(outputs, r)
    finally:
        _release(key)


@C.engine_errors
def step_once(state, *settings):
    r = _ensure_run(state, settings)
    for _ in advance(r, max_steps=1):
        pass
    if r.events is not None:
        r.phase = "paused"
    return outputs(r)


def pause(state):
    r = _run(state)
    if r.events is not None:
        r.phase = "paused"
    return r, status_text(r), curve_update(r)


def stop(state):
    r = _run(state)
    r.stop = True
    _finish(r, "stopped" if r.model is not None else "idle")
    return r, status_text(r), curve_update(r)


def reset(state):
    """Forget this session's runs and model (and free its memory)."""
    r = _run(state)
    r.stop = True
    _finish(r, "idle")
    return outputs(Run())


@C.engine_errors
def download(state):
    """The session's model as a .zip of safetensors weights + JSON config."""
    r = _run(state)
    if r.model is None:
        raise gr.Error("Train or upload a model first")
    name = f"{r.family}-{r.dataset.name if r.dataset is not None else 'model'}-{r.step}"
    curve = [[step, series.split(": ", 1)[-1], v] for run, series, step, v in r.history if run == r.run_id]
    extra, info = {}, {"curve": curve[::-(-len(curve) // MAX_CURVE) or 1]}        # thinned to ≤ MAX_CURVE points
    if r.optimizers:                                   # so an upload of this file can continue training
        extra, state_info = state_tensors(r.optimizers)
        info.update(state_info)
    with tempfile.TemporaryDirectory() as d:
        w = save_checkpoint(r.model, Path(d) / name, dataset=r.dataset.name if r.dataset is not None else "", steps=r.step,
                            extra=extra, info=info)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.write(w, w.name)
            zf.write(w.with_suffix(".json"), w.with_suffix(".json").name)
    return C.temp_file(buf.getvalue(), name + ".zip")


@C.engine_errors
def upload_checkpoint(state, files):
    """Load a checkpoint (.zip of both, or the .safetensors + .json pair): validated, never unpickled."""
    r = _run(state)
    paths = [Path(f) for f in (files if isinstance(files, list) else [files] if files else [])]
    if not paths:
        raise gr.Error("Choose a checkpoint: a .zip, or its .safetensors and .json files together")
    try:
        if any(p.stat().st_size > 4 * MAX_UPLOAD for p in paths):
            raise gr.Error("checkpoint files are limited to 80 MB")
    except OSError:
        raise gr.Error("the uploaded checkpoint cannot be read") from None
    with tempfile.TemporaryDirectory() as d:
        blobs = {}
        try:
            if len(paths) == 1 and paths[0].suffix.lower() == ".zip":
                if not zipfile.is_zipfile(paths[0]):
                    raise gr.Error("the .zip is not a zip archive")
                with zipfile.ZipFile(paths[0]) as zf:
                    for m in zf.infolist():      # read into memory: member names (../, absolute) are never paths
                        ext = Path(m.filename).suffix.lower()
                        if ext in (".safetensors", ".json") and m.file_size <= 4 * MAX_UPLOAD:
                            blobs[ext] = zf.read(m)
            else:
                blobs = {p.suffix.lower(): p.read_bytes() for p in paths
                         if p.suffix.lower() in (".safetensors", ".json")}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as e:
            # a corrupt member (bad CRC), an encrypted one, an unknown compression method, a file gone
            raise gr.Error(f"the checkpoint cannot be read: {str(e).splitlines()[0][:120] if str(e) else type(e).__name__}") \
                from None
        if set(blobs) != {".safetensors", ".json"}:
            raise gr.Error("a checkpoint needs both its .safetensors weights and its .json config")
        for ext, data in blobs.items():
            (Path(d) / f"upload{ext}").write_bytes(data)
        _finish(r, "idle")
        model, extra = generators.load(Path(d) / "upload.safetensors", device="auto", with_extra=True)
    steps = model.meta.get("steps", 0)
    steps = steps if isinstance(steps, int) and 0 <= steps <= 10**9 else 0
    r.model, r.family, r.step, r.total, r.samples = model, model.name, steps, steps, None
    r.dataset = Dataset(str(model.meta.get("dataset", "uploaded"))[:40], model.data_kind)
    r.optimizers, fresh = _restore_optimizers(model, extra, steps)
    r.run_id += 1
    r.history = [h for h in r.history] + [(r.run_id, f"run {r.run_id}: {k}", st, v)
                                          for st, k, v in _curve(model.meta.get("curve"))]
    r.resume, r.events = True, None
    r.device = str(model.device)
    r.phase = (f"loaded {model.name} checkpoint at step {steps}: Start continues training it"
               + (" (with a fresh optimizer: the file has no usable optimizer state)" if fresh else ""))
    return r, status_text(r)


def _restore_optimizers(model, extra: dict, steps: int) -> tuple[TrainState, bool]:
    """The run's TrainState from the upload (raw weights, optimiser state) when it fits every parameter exactly;
    else fresh optimisers at `steps`, and True."""
    try:
        return restore_state(model, extra, model.meta), not any(k.startswith("optim.") for k in extra)
    except ValueError:
        return TrainState(model, model.configure_optimizers(None), step=steps), True


def _curve(points) -> list[tuple[int, str, float]]:
    """The loss curve saved in a checkpoint's JSON, checked (else nothing): [[step, series, value], ...]."""
    if not isinstance(points, list) or len(points) > MAX_CURVE:
        return []
    out = []
    for p in points:
        if not (isinstance(p, list) and len(p) == 3 and isinstance(p[0], int) and isinstance(p[1], str)
                and len(p[1]) <= 40 and isinstance(p[2], (int, float)) and math.isfinite(p[2])):
            return []
        out.append((p[0], p[1], float(p[2])))
    return out


def explore(state, request: gr.Request):
    """Send the session's model to its family's tab (this browser session only), in place of the shipped one."""
    r = _run(state)
    if r.model is None:
        raise gr.Error("Train or upload a model first")
    r.model.meta = {**(getattr(r.model, "meta", None) or {}), "steps": r.step,
                    "dataset": r.dataset.name if r.dataset is not None else "uploaded"}
    C.explore(r.model, request)
    tab = {"gan": "GAN", "vae": "VAE", "diffusion": "Diffusion", "autoregressive": "Autoregressive"}[r.family]
    view = {"image": "", "points": " (its 2D view)", "text": ""}.get(r.model.data_kind, "")
    return (f"Your {r.family} model (step {r.step}) now draws in the **{tab}** tab{view}, for this browser session "
            f"only; in the Compare tab, 'Add my trained model' measures it beside the shipped ones.")


def unexplore(request: gr.Request):
    C.unexplore(request)
    return "The family tabs draw with the shipped models again."


def explored_model(request: gr.Request, family: str):
    """The model this browser session sent to `family`'s tab with "Explore this model", else None."""
    return C.explored(family, request=request)


def family_changed(family):
    family = C.choice(family, "Family", available_families())
    cls = generators.REGISTRY[family]
    fields = {f.name: f.default for f in dataclasses.fields(cls.Config)}
    ds = datasets_for(family)
    show = lambda *names: gr.update(visible=any(n in fields for n in names))   # noqa: E731
    return (gr.update(choices=ds, value=ds[0]), show("lr"), show("latent_dim"),
            gr.update(visible=family == "gan"), gr.update(visible=family == "gan"), show("beta"),
            show("schedule"), show("timesteps"), show("n_layer"), show("n_embd"))


def dataset_changed(family, dataset):
    """Steps and Batch show what a run from scratch of this family on this data trains with by default (its
    RunDefaults, as the CLI with no flags); the user may change them. An upload keeps the fields as they are."""
    try:
        family = C.choice(family, "Family", available_families())
        if dataset == UPLOAD:
            return gr.skip(), gr.skip()
        rd = run_defaults(generators.REGISTRY[family], C.choice(dataset, "Dataset", datasets_for(family)))
    except gr.Error:
        return gr.skip(), gr.skip()
    return rd.steps, rd.batch_size


def defaults_js() -> str:
    """dataset.change in the page: Steps and Batch set from a table of `dataset_changed` for every family and
    dataset, in the browser. A round trip to the server could land after the user typed over the fields."""
    import json

    table = {f: {d: list(dataset_changed(f, d)) for d in datasets_for(f)} for f in available_families()}
    return f"(f, d, s, b) => {{ const v = ({json.dumps(table)}[f] || {{}})[d]; return v ? v : [s, b]; }}"


# ----------------------------------------------------------------------------- exports
MAX_TIMELAPSE = 120           # frames kept per run (every other one is dropped when full)
MAX_GIF_PLOTS = 60            # 2D frames are matplotlib figures: fewer of them


def keep_frame(r: Run, step: int, samples) -> None:
    """Keep a preview for the timelapse (a CPU copy; halved when MAX_TIMELAPSE is reached)."""
    r.timelapse.append((step, samples.detach().cpu().clone() if torch.is_tensor(samples) else samples))
    if len(r.timelapse) > MAX_TIMELAPSE:
        r.timelapse = r.timelapse[::2]


def _stamp(img: np.ndarray, text: str) -> np.ndarray:
    from PIL import Image, ImageDraw

    im = Image.fromarray(img).convert("RGB")
    ImageDraw.Draw(im).text((4, 2), text, fill=(255, 200, 0))
    return np.asarray(im)


def _export_name(r: Run) -> str:
    data = r.dataset.name if r.dataset else "data"
    return f"{r.family}-{data}_run{r.run_id}"


@C.engine_errors
def timelapse_gif(state):
    """The fixed-noise previews of the current run as an animated GIF, one frame per preview, step written on."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from generators.base import gif_bytes
    from generators.plots import scatter_figure

    r = _run(state)
    frames = [(s, x) for s, x in r.timelapse if torch.is_tensor(x)]
    if not frames:
        raise gr.Error("Train an image or 2D model first: the timelapse is made of its previews "
                       "(text models show names instead).")
    if frames[0][1].dim() == 2:                       # 2D points: a scatter per frame
        idx = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), MAX_GIF_PLOTS)).round().astype(int))
        real = r.real.numpy() if r.real is not None else None
        lim = float(max(abs(x).max() for _, x in frames)) * 1.1 if real is None else float(abs(real).max()) * 1.3
        imgs = []
        for i in idx:
            step, x = frames[i]
            fig = scatter_figure(x.numpy(), real, title=f"step {step}", lim=lim, size=3.2)
            FigureCanvasAgg(fig).draw()
            imgs.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    else:
        imgs = [_stamp(C.grid_image(x, nrow=4, scale=3), f"step {step}") for step, x in frames]
    imgs += [imgs[-1]] * 5                            # hold the last frame
    return C.temp_file(gif_bytes(imgs, duration_ms=150),
                       f"{_export_name(r)}_timelapse_steps{frames[0][0]}-{frames[-1][0]}.gif")


def curves_csv(state):
    """Every loss value of every run of the session: run, series, step, loss."""
    r = _run(state)
    if not r.history:
        raise gr.Error("Train a model first: there are no loss curves yet.")
    df = pd.DataFrame(r.history, columns=["run", "series", "step", "loss"])
    return C.temp_file(df.to_csv(index=False).encode(), f"{_export_name(r)}_losses.csv")


# ----------------------------------------------------------------------------- layout
def build() -> list:
    fams = available_families()
    first = fams[0] if fams else None
    state = gr.State(None)
    gr.Markdown(LESSON)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            family = gr.Dropdown(fams, value=first, label="Family", elem_id="train_family")
            dataset = gr.Dropdown(datasets_for(first) if first else [], value="8gaussians" if first == "gan" else None,
                                  label="Dataset", elem_id="train_dataset")
            upload = gr.File(label="Your data: .zip of images, .txt (one item per line) or .npy of N×2 points, "
                                   "20 MB max", file_types=[".zip", ".txt", ".npy"], type="filepath")
            with gr.Row():
                steps = gr.Number(2000, label="Steps", precision=0, elem_id="train_steps")
                batch = gr.Number(64, label="Batch", precision=0, elem_id="train_batch")
            with gr.Row():
                lr = gr.Number(0, label="Learning rate (0: family default)", elem_id="train_lr")
                latent = gr.Number(0, label="Latent size (0: default)", precision=0, elem_id="train_latent")
            with gr.Row():
                loss = gr.Dropdown(GAN_LOSSES, value="bce", label="GAN loss", elem_id="train_loss")
                n_critic = gr.Number(0, label="D steps per G step (0: 1)", precision=0)
            beta = gr.Number(1.0, label="VAE β", visible=False)
            with gr.Row():
                schedule = gr.Dropdown(SCHEDULES, value="cosine", label="Noise schedule", visible=False)
                timesteps = gr.Number(0, label="Diffusion T (0: 1000)", precision=0, visible=False)
            with gr.Row():
                n_layer = gr.Number(0, label="Transformer layers (0: 3)", precision=0, visible=False)
                n_embd = gr.Number(0, label="Width (0: 64)", precision=0, visible=False)
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0)
                every = gr.Number(25, label="Preview every (steps)", precision=0, elem_id="train_every")
        with gr.Column(scale=2):
            status = gr.Markdown(status_text(Run()), elem_id="train_status")
            with gr.Row():
                start_btn = gr.Button("Start", variant="primary", elem_id="train_start")
                pause_btn = gr.Button("Pause", elem_id="train_pause")
                step_btn = gr.Button("Step once", elem_id="train_step")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="train_stop")
                reset_btn = gr.Button("Reset", elem_id="train_reset")
            curve = gr.LinePlot(x="step", y="loss", color="series", label="Losses (earlier runs grey)",
                                elem_id="train_curve", height=260)
            with gr.Row():
                samples = gr.Image(label="Samples from fixed noise", elem_id="train_samples", interactive=False)
                plot2d = gr.Plot(label="2D view", elem_id="train_2d")
            texts = gr.Textbox(label="Samples (text)", lines=6, elem_id="train_text")
            with gr.Row():
                dl_btn = gr.Button("Download", elem_id="train_download")
                explore_btn = gr.Button("Explore this model", elem_id="train_explore")
                unexplore_btn = gr.Button("Back to the shipped models", elem_id="train_unexplore", size="sm")
            dl_file = gr.File(label="Model (.zip: safetensors + JSON)", interactive=False)
            ckpt = gr.File(label="Upload a checkpoint (.zip, or .safetensors + .json)", file_count="multiple",
                           file_types=[".zip", ".safetensors", ".json"], type="filepath")
            note = gr.Markdown()
    settings = [family, dataset, upload, lr, batch, steps, latent, loss, n_critic, beta, schedule, timesteps,
                n_layer, n_embd, seed, every]
    outs = [state, status, curve, samples, plot2d, texts]
    family.change(family_changed, family, [dataset, lr, latent, loss, n_critic, beta, schedule, timesteps,
                                           n_layer, n_embd], api_name=False, **C.CHEAP)
    dataset.change(None, [family, dataset, steps, batch], [steps, batch], js=defaults_js(), api_name=False,
                   queue=False)
    # its own lane: a class pressing Start reaches the handler at once (told its place), and a training run
    # never holds one of the GPU lane's two places that the Diffusion tab's renders need
    ev = start_btn.click(start, [state, *settings], outs, api_name="train_start", concurrency_id="train",
                         concurrency_limit=WAITING_ROOM)
    pause_btn.click(pause, state, [state, status, curve], cancels=[ev], api_name=False, queue=False)
    stop_btn.click(stop, state, [state, status, curve], cancels=[ev], api_name=False, queue=False)
    step_btn.click(step_once, [state, *settings], outs, api_name=False, **C.GPU)
    reset_btn.click(reset, state, outs, cancels=[ev], api_name=False, queue=False)
    dl_btn.click(download, state, dl_file, api_name=False)
    explore_btn.click(explore, state, note, api_name=False)
    unexplore_btn.click(unexplore, None, note, api_name=False, queue=False)
    ckpt.upload(upload_checkpoint, [state, ckpt], [state, status], api_name=False)

    with gr.Row():
        gif_btn = gr.Button("Download timelapse GIF", elem_id="train_timelapse_btn")
        csv_btn = gr.Button("Download curves CSV", elem_id="train_csv_btn")
    export = gr.File(label="Export", interactive=False, elem_id="train_export", height=70)
    gif_btn.click(timelapse_gif, state, export, api_name="train_timelapse")
    csv_btn.click(curves_csv, state, export, api_name="train_curves_csv", queue=False)

    with gr.Accordion("How it works", open=False):
        gr.Markdown(lessons.TRAIN_LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.DIAGRAMS["train"](), elem_id="train_diagram")
    return []
