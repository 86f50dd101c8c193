"""The Train tab's session state and views: a session's `Run`, its status line, loss curves, sample pictures,
2D figure, and the exports (timelapse GIF, curves CSV)."""
from __future__ import annotations

import dataclasses
import threading
import time

import gradio as gr
import numpy as np
import pandas as pd
import torch

from generators.device import REFUSALS, ZEROGPU, describe, heavy_device
from generators.data import Dataset

from . import common as C
from . import i18n as I

MAX_POINTS_PER_SERIES = 200      # the plot is ~770 px wide: more points draw nothing new
FIGURE_SHARE = 0.05                # a running run spends at most this share of its time drawing its 2D figure


# ----------------------------------------------------------------------------- session state
@dataclasses.dataclass
class Run:
    """One session's training: the current model and event stream, and every run's loss history."""
    model: object = None           # the run's model (EMA weights), or an uploaded one waiting for Start
    dataset: Dataset | None = None
    family: str = ""
    train: object = None           # the run under way or paused (generators.run.TrainRun), between chunks
    token: str = ""                # names this session's stop requests (they reach a chunk in another process)
    cpu_reason: str | None = None  # why a ZeroGPU chunk was refused (generators.device.REFUSALS): CPU from then on
    gpu_seconds: float = 0.0       # GPU time this run's chunks held, which ZeroGPU counts against the quota
    stream: object = None          # Start's update stream (ui/train_stream.chunks), until it ends or is closed
    # held while the run's weights are in flux (an update being pulled, a step): Download, Step once and the next
    # Start wait for it, so they see the run between steps (EMA in the model), never mid-step
    busy: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False, compare=False)
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


# ----------------------------------------------------------------------------- views
def status_text(r: Run) -> str:
    """The status line, in the browser's language (ui/i18n; English outside an event and for API callers): the
    phase, step, pace, where it trains, then on ZeroGPU the GPU seconds spent, or why the run went to the CPU."""
    line = I.tr(f"**{r.phase}** · step {r.step} / {r.total} · {r.rate:.1f} steps/s · "
                f"{r.device or describe(heavy_device())}" + (f" · {r.family}" if r.family else ""))
    if r.cpu_reason:
        line += " · " + I.tr(REFUSALS[r.cpu_reason])
    elif ZEROGPU and r.gpu_seconds:
        line += " · " + I.tr(f"{r.gpu_seconds:.0f} s of your GPU quota spent")
    return line


def curve_frame(r: Run) -> pd.DataFrame:
    """Long table (step, loss, series), at most MAX_POINTS_PER_SERIES rows a series: the points whose step is a
    multiple of a power-of-two stride (so a new point leaves every kept row as it was), rows in (run, step)
    order (so new points come last). Gradio sends the page only what changed: the rows appended since the last
    update, not the whole history (measured: 2–3 kB an update instead of 60–290 kB, bench/README.md)."""
    if not r.history:
        return pd.DataFrame({"step": pd.Series([], dtype="int64"), "loss": pd.Series([], dtype="float64"),
                             "series": pd.Series([], dtype="str")})
    df = pd.DataFrame(r.history, columns=["run", "series", "step", "loss"])
    counts = df.groupby("series", sort=False)["step"].transform("size")
    stride = 2 ** np.ceil(np.log2(np.maximum(counts / MAX_POINTS_PER_SERIES, 1))).astype("int64")
    df = df[df["step"] % stride == 0]
    return df.sort_values(["run", "step"], kind="stable")[["step", "loss", "series"]].reset_index(drop=True)


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
    titles = {}
    if I.wants_chinese():               # a Chinese reader's axes and legend ("run 2: d_loss" → 第 2 次运行：判别器损失)
        shown = {s: I.tr(s) for s in cmap}
        df = df.assign(series=df["series"].map(shown))
        cmap = {shown[s]: c for s, c in cmap.items()}
        titles = dict(x_title=I.tr("step"), y_title=I.tr("loss"), color_title=I.tr("series"))
    return gr.LinePlot(value=df, color_map=cmap, **titles)


def figure_2d(r: Run):
    """The live picture beside the samples: the family's own (its tab module's `train_figure(run)`: a VAE's
    encoded digits), else for 2D sets real vs generated points over the family's `train_overlay` (a GAN's
    discriminator heatmap and gradient arrows, diffusion's paths from noise to data)."""
    if r.model is None:
        return None
    hooks = C.tab_module(r.family)
    if (own := getattr(hooks, "train_figure", None)) is not None and (fig := own(r)) is not None:
        return fig
    if r.samples is None or not torch.is_tensor(r.samples) or r.samples.dim() != 2:
        return None
    from matplotlib.figure import Figure

    fake = r.samples.detach().float().cpu()
    real = r.real if r.real is not None else fake[:0]
    ref = real if len(real) else fake                   # frame the data; stray samples may fall outside
    lim = float(ref.abs().max().clamp(min=2.5, max=50.0)) * 1.3 if torch.isfinite(ref).all() else 5.0
    fig = Figure(figsize=(5, 5), dpi=80)
    ax = fig.add_subplot()
    if (overlay := getattr(hooks, "train_overlay", None)) is not None:
        overlay(ax, r.model, fake, lim)              # the family's own layer: a GAN's D field, diffusion's paths
    ax.scatter(real[:, 0], real[:, 1], s=3, c="#2e86ab", alpha=0.4, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=5, c="#e4572e", alpha=0.8, label="generated")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    I.localize_figure(fig).tight_layout()
    return fig


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
        if isinstance(s, list) and r.model is not None and r.model.data_kind == "melody":   # note names
            from generators import music
            s = [music.format_notes(music.from_text(x)) for x in s]
        txt = (gr.update(value="\n".join(s), visible=True) if isinstance(s, list)      # a text model's samples
               else gr.update(value="", visible=False))
    fig = gr.skip()
    if figure_due or s is None:
        t = time.monotonic()
        fig = figure_2d(r)
        r.figure_drawn, r.figure_at, r.figure_cost = key, now, time.monotonic() - t
        fig = gr.update(value=fig, visible=fig is not None)     # no empty box beside a picture run's samples
    return r, status_text(r), curve_update(r), img, fig, txt


# ----------------------------------------------------------------------------- exports
MAX_TIMELAPSE = 120           # frames kept per run (every other one is dropped when full)
MAX_GIF_PLOTS = 60            # 2D frames are matplotlib figures: fewer of them


def keep_frame(r: Run, step: int, samples) -> None:
    """Keep a preview for the timelapse (a CPU copy; halved when MAX_TIMELAPSE is reached)."""
    r.timelapse.append((step, samples.detach().cpu().clone() if torch.is_tensor(samples) else samples))
    if len(r.timelapse) > MAX_TIMELAPSE:
        r.timelapse = r.timelapse[::2]


def _stamp(img: np.ndarray, step: int) -> np.ndarray:
    """A timelapse frame with its step written on: "step 40", or 第 40 步 in the CJK font for a Chinese reader."""
    from PIL import Image, ImageDraw

    text, font = f"step {step}", None
    if I.figure_chinese():
        text, font = I.tr(text), I.pil_cjk_font(12)
    im = Image.fromarray(img).convert("RGB")
    ImageDraw.Draw(im).text((4, 2), text, fill=(255, 200, 0), font=font)
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
        raise I.error("Train an image or 2D model first: the timelapse is made of its previews "
                      "(text models show names instead).")
    if frames[0][1].dim() == 2:                       # 2D points: a scatter per frame
        idx = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), MAX_GIF_PLOTS)).round().astype(int))
        real = r.real.numpy() if r.real is not None else None
        lim = float(max(abs(x).max() for _, x in frames)) * 1.1 if real is None else float(abs(real).max()) * 1.3
        imgs = []
        for i in idx:
            step, x = frames[i]
            fig = I.localize_figure(scatter_figure(x.numpy(), real, title=f"step {step}", lim=lim, size=3.2))
            FigureCanvasAgg(fig).draw()
            imgs.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    else:
        imgs = [_stamp(C.grid_image(x, nrow=4, scale=3), step) for step, x in frames]
    imgs += [imgs[-1]] * 5                            # hold the last frame
    return C.temp_file(gif_bytes(imgs, duration_ms=150),
                       f"{_export_name(r)}_timelapse_steps{frames[0][0]}-{frames[-1][0]}.gif")


def curves_csv(state):
    """Every loss value of every run of the session: run, series, step, loss."""
    r = _run(state)
    if not r.history:
        raise I.error("Train a model first: there are no loss curves yet.")
    df = pd.DataFrame(r.history, columns=["run", "series", "step", "loss"])
    return C.temp_file(df.to_csv(index=False).encode(), f"{_export_name(r)}_losses.csv")
