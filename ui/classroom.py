"""Classroom mode (as in GAN Lab): a small 2D GAN on 8 Gaussians that trains one discriminator step or one
generator step per click, so a class can watch the two players take turns. One lesson per browser session."""
from __future__ import annotations

import dataclasses
import threading

import gradio as gr
import torch

import generators
from generators.base import make_generator
from generators.data import load_toy
from generators.train import step_phase

from . import common as C
from . import i18n as I

BATCH = 128
N_SHOWN = 256                      # generated points drawn from fixed noise
LR = 2e-3                          # larger than training's default, so that one click shows
MAX_CLICK_STEPS = 50

INTRO = """**Classroom mode.** You are the coach of both players. **D step** trains the discriminator once: watch
the heatmap (red: D says "real") move toward the real points (blue) and away from the generated ones (orange).
**G step** trains the generator once: the orange points move along the black arrows, up D's slope toward "real".
Try: ① press D step 5 times, G step not at all: D wins, its map separates real from fake. ② Now alternate
G, D, G, D…: the orange points chase the modes. ③ Press only G step many times: G over-fits a stale D and the
points pile onto one region — mode collapse in slow motion."""


@dataclasses.dataclass
class Lesson:
    model: object
    optimizers: dict
    generator: torch.Generator
    data: torch.Tensor
    z: torch.Tensor                # fixed noise for the picture
    seed: int
    d_steps: int = 0
    g_steps: int = 0
    last: str = ""
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)   # one click at a time per session


def new_lesson(seed=0) -> Lesson:
    s = C.seed(seed)
    model = generators.build("gan", "8gaussians", seed=s, hidden=64, layers=2).to("cpu")
    g = make_generator(s)
    data = load_toy("8gaussians", "train").x
    return Lesson(model, model.configure_optimizers(LR), g, data,
                  torch.randn(N_SHOWN, model.config.latent_dim, generator=make_generator(s + 1)), s)


def _lesson(state) -> Lesson:
    return state if isinstance(state, Lesson) else new_lesson(0)


def _batch(lesson: Lesson) -> torch.Tensor:
    idx = torch.randint(0, len(lesson.data), (BATCH,), generator=lesson.generator)
    return lesson.data[idx]


def figure(lesson: Lesson):
    """Real vs generated points over D's decision map, with arrows where G is pushed (the Train tab's view)."""
    from . import train

    with torch.no_grad():
        fake = lesson.model.generate(lesson.z)
    real = lesson.data[torch.randperm(len(lesson.data), generator=make_generator(lesson.seed))[:500]]
    fig = train.figure_2d(train.Run(model=lesson.model, family="gan", samples=fake, real=real))
    fig.axes[0].set_title(f"after {lesson.d_steps} D steps and {lesson.g_steps} G steps", fontsize=10)
    return I.localize_figure(fig)


def status(lesson: Lesson) -> str:
    """The steps so far and the last click's losses, in the browser's language (ui/i18n)."""
    return I.tr(f"**D steps: {lesson.d_steps} · G steps: {lesson.g_steps}**"
                + (f" · {lesson.last}" if lesson.last else ""))


def reset(seed):
    lesson = new_lesson(seed)
    return lesson, figure(lesson), status(lesson)


def _phase_steps(state, k, phase: str):
    """k updates of one player ("D" or "G"), the other untouched, stepped as the engine steps that phase (raw
    weights: no EMA here); the lesson, its figure and status."""
    lesson = _lesson(state)
    k = C.number(k, "Steps per click", 1, MAX_CLICK_STEPS, integer=True)
    with lesson.lock:
        lesson.model.train()
        for _ in range(k):
            if phase == "D":
                loss, d_real, d_fake = lesson.model.d_loss(_batch(lesson), None, generator=lesson.generator)
            else:
                loss = lesson.model.g_loss(BATCH, None, generator=lesson.generator)
            step_phase(lesson.optimizers[phase], loss)
        if phase == "D":
            lesson.d_steps += k
            lesson.last = (f"D loss {loss.item():.3f}; D's mean logit on real {d_real.mean().item():+.2f}, "
                           f"on generated {d_fake.mean().item():+.2f}")
        else:
            lesson.g_steps += k
            lesson.last = f"G loss {loss.item():.3f} (lower: D is fooled more)"
        return lesson, figure(lesson), status(lesson)


def d_step(state, k=1):
    """k discriminator updates (G untouched)."""
    return _phase_steps(state, k, "D")


def g_step(state, k=1):
    """k generator updates against the current discriminator (D untouched)."""
    return _phase_steps(state, k, "G")


def show(state, seed):
    """The session's lesson as it stands (a fresh one the first time the accordion opens)."""
    lesson = state if isinstance(state, Lesson) else new_lesson(seed)
    return lesson, figure(lesson), status(lesson)


def build_ui(accordion: gr.Accordion) -> None:
    """The classroom accordion's contents; drawn when the accordion is first opened (not on every page load)."""
    gr.Markdown(INTRO)
    state = gr.State(None)
    with gr.Row():
        seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="gan2d_class_seed", min_width=100)
        k = gr.Slider(1, MAX_CLICK_STEPS, value=1, step=1, label="Steps per click", elem_id="gan2d_class_k")
        d_btn = gr.Button("D step", variant="primary", elem_id="gan2d_d_step")
        g_btn = gr.Button("G step", variant="primary", elem_id="gan2d_g_step")
        r_btn = gr.Button("Reset", elem_id="gan2d_reset")
    text = gr.Markdown(elem_id="gan2d_class_status")
    plot = gr.Plot(label="Real (blue) vs generated (orange) over D's decision map", elem_id="gan2d_class_plot")
    outs = [state, plot, text]
    opts = dict(queue=False, show_progress="minimal")
    shown = "a plot of real and generated points over D's decision map, and a status line with the losses"
    d_btn.click(d_step, [state, k], outs, api_name="gan_classroom_d_step", **opts,
                api_description=f"k discriminator updates of this session's classroom GAN (G untouched): {shown}.")
    g_btn.click(g_step, [state, k], outs, api_name="gan_classroom_g_step", **opts,
                api_description=f"k generator updates of this session's classroom GAN (D untouched): {shown}.")
    r_btn.click(reset, seed, outs, api_name="gan_classroom_reset", **opts,
                api_description=f"A fresh classroom GAN for this session from seed: {shown}.")
    accordion.expand(show, [state, seed], outs, api_name=False, queue=False)
