"""The Gaussian tab: fit a normal distribution to numbers by gradient descent, step by step, beside the closed-form
answer; then a logistic discriminator tries to tell the data from the fit. The maths is in generators/gaussian.py."""
from __future__ import annotations

import math

import gradio as gr
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse
from matplotlib.ticker import MaxNLocator

from generators import gaussian as G

from . import common as C
from . import i18n as I
from . import share
from .lessons import DATA, LATENT, NET, OUT, _arrow, _box, _svg, _text

MINE = "my numbers"
DATA_CHOICES = (*G.DEMO_SETS, MINE)
MAX_N = G.MAX_NUMBERS
N_DEFAULT = 500
LR_MIN, LR_MAX, LR_DEFAULT = 0.001, 1.2, 0.1
MAX_STEPS = 2000
EXAMPLE = "172 168 181 165 177 190 159 174 170 183 176 169 185 162 179"
MAIN_EVENT = "gaussian_fit"             # the tab's main named event (the tab conformance suite calls it)
GREY, FIT, BEST = "#9aa0a6", "#f97316", "#111827"      # data grey, gradient descent orange, closed form near-black

LESSON = r"""
**How it works.** A generative model is a probability distribution we can sample from and score. The simplest is the
normal distribution $\mathcal{N}(\mu, \sigma^2)$. *Maximum likelihood* picks the $\mu, \sigma$ under which the data
are most probable, that is, the ones that minimise the negative log-likelihood

$$L(\mu, \sigma) = -\sum_i \log \mathcal{N}(x_i; \mu, \sigma^2) = \sum_i \Big[\log \sigma + \tfrac12 \log 2\pi
+ \frac{(x_i - \mu)^2}{2\sigma^2}\Big]$$

(the plots show $L/N$, nats per number). **Gradient descent** repeats $\theta \leftarrow \theta - \alpha\,
\partial L / \partial \theta$ with $\theta = (\mu, \log \sigma)$ (log σ keeps σ positive) and the learning rate
$\alpha$: here $\partial L / \partial \mu = -\sum_i (x_i - \mu) / \sigma^2$ and
$\partial L / \partial \log\sigma = \sum_i \big[1 - (x_i - \mu)^2 / \sigma^2\big]$. For one Gaussian the answer has a
closed form (the dashed curve): $\hat\mu = \frac1N \sum_i x_i$ and $\hat\sigma^2 = \frac1N \sum_i (x_i - \hat\mu)^2$
(1/N, not the unbiased 1/(N−1)). Gradient descent lands on it, and the same loop trains every other model in this lab,
where no closed form exists. (The numbers are first put on a common scale, centred on their median and divided by
their spread, so one α suits numbers of any size; μ and σ are shown in your units.)

**Can you tell?** A discriminator $D(x) = \mathrm{sigmoid}(a x^2 + b x + c)$ (quadratic, so it can tell a too-wide
normal from a too-narrow one) is trained to say "real" for the data and "fake" for samples of the fit. Against a bad
fit it is right most of the time; as the fit improves its accuracy falls toward 50%: it cannot tell. A GAN turns this
around: its generator learns to make the discriminator's job impossible, with no likelihood at all.

**Try this:** ① Press *Step once* a few times from the first guess: σ grows first, then μ slides over. ② Set α to
1.1: the NLL curve zig-zags and σ overshoots (α must stay under 1 here). ③ Choose *bimodal*: the fit lands on the
closed form, and the discriminator still tells: one bump cannot be two. A mixture of Gaussians can (the `gaussian`
family with `--components 2`, fitted the same way: `python -m generators train gaussian --dataset my.npy
--components 2`).
"""


# ----------------------------------------------------------------------------- validation
def _data(data, numbers, seed, n):
    """The numbers to fit (float64 (N,)), and the key of what they are; every input checked on the server."""
    choice = C.choice(data, "Data", DATA_CHOICES)
    s, n = C.seed(seed), C.number(n, "N", 2, MAX_N, integer=True)
    text = C.text(numbers, "Your numbers", G.MAX_NUMBERS_TEXT)
    x = G.parse_numbers(text) if choice == MINE else G.demo_data(choice, n, s)
    return x, (choice, s, n, text if choice == MINE else "")


def _lr(lr) -> float:
    return C.number(lr, "Learning rate", LR_MIN, LR_MAX)


def _current(state, x, key) -> G.NormalFit:
    """The session's fit when it was made for these numbers, else the first guess."""
    ok = isinstance(state, tuple) and len(state) == 2 and state[0] == key and isinstance(state[1], G.NormalFit)
    return state[1] if ok else G.start_fit(x)


def _numbers_param(value) -> str:
    """A link's numbers: text that parses (or none)."""
    text = C.text(value, "Your numbers", G.MAX_NUMBERS_TEXT)
    if text.strip():
        try:
            G.parse_numbers(text)
        except ValueError as e:
            raise I.engine_error(e) from None
    return text


# ----------------------------------------------------------------------------- handlers
def _show(x, key, fit):
    """(state, figure, numbers) for `fit` of the numbers x."""
    return (key, fit), fit_figure(x, fit, seed=key[1]), summary(x, fit, seed=key[1])


@C.engine_errors
def fit(data, numbers, seed, n, lr, steps):
    """From the first guess, `steps` steps of gradient descent: the figures and the numbers."""
    x, key = _data(data, numbers, seed, n)
    steps = C.number(steps, "Steps", 0, MAX_STEPS, integer=True)
    return _show(x, key, G.descend(x, G.start_fit(x), lr=_lr(lr), steps=steps))


def _advance(state, data, numbers, seed, n, lr, steps: int):
    x, key = _data(data, numbers, seed, n)
    return _show(x, key, G.descend(x, _current(state, x, key), lr=_lr(lr), steps=steps))


@C.engine_errors
def step_once(state, data, numbers, seed, n, lr):
    """One more step of gradient descent from where this session's fit stands."""
    return _advance(state, data, numbers, seed, n, lr, 1)


@C.engine_errors
def run_50(state, data, numbers, seed, n, lr):
    """Fifty more steps."""
    return _advance(state, data, numbers, seed, n, lr, 50)


@C.engine_errors
def reset(data, numbers, seed, n):
    """Back to the first guess (and the Steps slider to 0)."""
    x, key = _data(data, numbers, seed, n)
    return (*_show(x, key, G.start_fit(x)), 0)


@C.engine_errors
def discriminate(state, data, numbers, seed, n):
    """Train the logistic discriminator against the current fit (and against the closed form, for comparison)."""
    x, key = _data(data, numbers, seed, n)
    f = _current(state, x, key)
    d, best = G.discriminate(x, f.mu, f.sigma, seed=key[1]), G.discriminate(x, *G.closed_form_fit(x), seed=key[1])
    text = (f"**The discriminator is right {100 * d.accuracy:.1f}% of the time** against this fit (step {f.step}), "
            f"log-loss {d.loss:.3f} nats (ln 2 = 0.693: it cannot tell); against the closed-form fit "
            f"{100 * best.accuracy:.1f}%, {best.loss:.3f} nats. D(x) = sigmoid({d.a:.3g}·x̃² {_signed(d.b)}·x̃ "
            f"{_signed(d.c)}), x̃ = (x − {d.loc:.4g}) / {d.scale:.4g}.")
    return text, disc_figure(x, f, d, seed=key[1])


# ----------------------------------------------------------------------------- figures and text
def _signed(v: float) -> str:
    return f"{'−' if v < 0 else '+'} {abs(v):.3g}"


def _view(x: np.ndarray, fit) -> tuple[float, float]:
    """The x-range of the plots: the data, and the fit's ±3σ within three data-widths of it."""
    lo, hi = float(x.min()), float(x.max())
    span = max(hi - lo, 1e-9)
    lo, hi = min(lo, fit.mu - 3 * fit.sigma), max(hi, fit.mu + 3 * fit.sigma)
    return max(lo, float(x.min()) - 3 * span) - 0.05 * span, min(hi, float(x.max()) + 3 * span) + 0.05 * span


def _bins(n: int) -> int:
    return int(min(60, max(10, 1.5 * math.sqrt(n))))


def fit_figure(x: torch.Tensor, fit, *, seed: int) -> Figure:
    """The data's histogram under both densities; the NLL per step; samples of the fit against the data."""
    xs, (mu_hat, s_hat) = x.numpy(), G.closed_form_fit(x)
    lo, hi = _view(xs, fit)
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)
    fig = Figure(figsize=(12, 3.4), dpi=90)
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.hist(xs, bins=_bins(len(xs)), range=(lo, hi), density=True, color=GREY, alpha=0.6, label="data")
    ax1.plot(grid, G.normal_pdf(grid, fit.mu, fit.sigma), color=FIT, lw=2, label=f"gradient descent, step {fit.step}")
    ax1.plot(grid, G.normal_pdf(grid, mu_hat, s_hat), color=BEST, ls="--", lw=1.2, label="closed form")
    ax1.set_title("The data and the two fits", fontsize=10)
    ax1.legend(loc="upper right", fontsize=7)
    steps = np.arange(fit.step - len(fit.curve) + 1, fit.step + 1)
    ax2.plot(steps, fit.curve, color=FIT, marker="." if len(steps) < 60 else None, lw=1.5)
    ax2.axhline(G.normal_nll(x, mu_hat, s_hat), color=BEST, ls="--", lw=1, label="the closed form's NLL")
    ax2.set_xlabel("step", fontsize=8)
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.set_title("NLL per step (nats per number)", fontsize=10)
    ax2.legend(loc="upper right", fontsize=7)
    samples = G.sample_normal(fit.mu, fit.sigma, len(xs), seed).numpy()
    ax3.hist(xs, bins=_bins(len(xs)), range=(lo, hi), color=GREY, alpha=0.6, label="data")
    ax3.hist(samples, bins=_bins(len(xs)), range=(lo, hi), color=FIT, histtype="step", lw=1.5,
             label="as many samples of the fit")
    ax3.set_title("Samples of the fit against the data", fontsize=10)
    ax3.legend(loc="upper right", fontsize=7)
    for ax in (ax1, ax2, ax3):
        ax.tick_params(labelsize=7)
    I.localize_figure(fig).tight_layout()
    return fig


def summary(x: torch.Tensor, fit, *, seed: int) -> str:
    """The numbers: μ, σ and the NLL of both fits, and the discriminator's accuracy against this one."""
    mu_hat, s_hat = G.closed_form_fit(x)
    d = G.discriminate(x, fit.mu, fit.sigma, seed=seed)
    return (f"| | μ | σ | NLL (nats per number) |\n|---|---|---|---|\n"
            f"| **gradient descent, step {fit.step}** | {fit.mu:.6g} | {fit.sigma:.6g} | {fit.curve[-1]:.6g} |\n"
            f"| closed form (mean, 1/N std) | {mu_hat:.6g} | {s_hat:.6g} | {G.normal_nll(x, mu_hat, s_hat):.6g} |\n\n"
            f"N = {len(x)} numbers · |μ − μ̂| = {abs(fit.mu - mu_hat):.2g}, |σ − σ̂| = {abs(fit.sigma - s_hat):.2g} · "
            f"a discriminator tells the data from this fit {100 * d.accuracy:.0f}% of the time (50%: it cannot)")


def disc_figure(x: torch.Tensor, fit, d, *, seed: int) -> Figure:
    """Real numbers against samples of the fit, and D(x), the discriminator's probability that x is real."""
    xs = x.numpy()
    lo, hi = _view(xs, fit)
    fake = G.sample_normal(fit.mu, fit.sigma, len(xs), seed).numpy()
    fig = Figure(figsize=(7, 3.2), dpi=90)
    ax = fig.add_subplot()
    ax.hist(xs, bins=_bins(len(xs)), range=(lo, hi), density=True, color=GREY, alpha=0.6, label="real (the data)")
    ax.hist(fake, bins=_bins(len(xs)), range=(lo, hi), density=True, color=FIT, histtype="step", lw=1.5,
            label="fake (samples of the fit)")
    ax.legend(loc="upper left", fontsize=7)
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)
    ax2 = ax.twinx()
    ax2.plot(grid, d.prob(grid), color="#2563eb", lw=2)
    ax2.axhline(0.5, color="#2563eb", ls=":", lw=1)
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("D(x): P(real)", color="#2563eb", fontsize=8)
    ax.set_title(f"Discriminator accuracy {100 * d.accuracy:.1f}%", fontsize=10)
    I.localize_figure(fig).tight_layout()
    return fig


# ----------------------------------------------------------------------------- the Train tab's view
def train_overlay(ax, model, fake, lim) -> None:
    """Over the Train tab's 2-D scatter: each component's mean (×) and its 1σ (solid) and 2σ (dotted) ellipses."""
    if getattr(model, "name", "") != "gaussian" or model.config.dim != 2:
        return
    weights, means, _ = model.mixture_components()
    for nsigma, style in ((1, "-"), (2, ":")):
        for (cx, cy, w, h, angle), wk in zip(model.component_ellipses(nsigma), weights.tolist()):
            ax.add_patch(Ellipse((cx, cy), w, h, angle=angle, fill=False, ec="#111827", ls=style,
                                 lw=0.6 + 4 * wk, alpha=0.8, zorder=3))
    m = means.detach().cpu().numpy()
    ax.scatter(m[:, 0], m[:, 1], marker="x", c="#111827", s=30, linewidths=1.2, label="means", zorder=4)


def train_figure(run):
    """For a model of numbers (1-D): the training data's histogram, the fitted density, the closed form and the
    latest samples; None for any other model (the Train tab draws 2-D points itself)."""
    model, data = getattr(run, "model", None), getattr(run, "dataset", None)
    if getattr(model, "name", "") != "gaussian" or model.data_kind != "values" or getattr(data, "x", None) is None:
        return None
    x = data.x.reshape(-1).double().cpu()
    mean, var = G.Gaussian.closed_form(x)
    lo, hi = float(x.min()), float(x.max())
    lo, hi = lo - 0.1 * (hi - lo + 1e-9), hi + 0.1 * (hi - lo + 1e-9)
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)
    fig = Figure(figsize=(5, 4), dpi=80)
    ax = fig.add_subplot()
    ax.hist(x.numpy(), bins=_bins(len(x)), range=(lo, hi), density=True, color=GREY, alpha=0.6, label="data")
    dens = model.log_prob(grid.to(model.device, model.dtype)).exp().cpu()
    k = model.config.components
    ax.plot(grid, dens, color=FIT, lw=2, label=f"the fit ({k} component{'s' * (k > 1)})")
    ax.plot(grid, G.normal_pdf(grid, float(mean), math.sqrt(float(var))), color=BEST, ls="--", lw=1,
            label="closed form (one Gaussian)")
    s = getattr(run, "samples", None)
    if torch.is_tensor(s) and s.dim() == 1:
        ax.plot(s.detach().cpu().numpy(), np.zeros(len(s)), "|", color=FIT, ms=12, label="samples")
    ax.set_xlim(lo, hi)
    ax.legend(loc="upper right", fontsize=8)
    I.localize_figure(fig).tight_layout()
    return fig


# ----------------------------------------------------------------------------- layout
def diagram() -> str:
    """The lesson's picture: numbers and a normal N(μ, σ²) meet in the NLL, whose gradient moves μ and σ; a
    discriminator then tries to tell the numbers from samples of the fit."""
    b = (_box(10, 20, 120, 50, "your numbers xᵢ", "normal, bimodal, …", DATA)
         + _box(10, 110, 120, 50, "the model", "N(μ, σ²)", LATENT)
         + _box(200, 60, 160, 60, "NLL L(μ, σ)", "−Σ log N(xᵢ; μ, σ²)", NET)
         + _box(430, 20, 150, 50, "closed form", "μ̂ = mean, σ̂² = 1/N Σ", OUT)
         + _box(430, 110, 150, 50, "samples of the fit", "x ~ N(μ, σ²)", OUT)
         + _box(640, 60, 150, 60, "discriminator D", "real or fitted? → 50%", NET)
         + _arrow(130, 45, 198, 80) + _arrow(130, 135, 198, 100) + _arrow(360, 80, 428, 45, dashed=True)
         + _arrow(130, 125, 428, 135) + _arrow(580, 135, 638, 100) + _arrow(580, 45, 638, 80)
         + "<path d='M280,120 C280,190 70,190 70,162' fill='none' stroke='currentColor' stroke-width='1.2' "
           "stroke-dasharray='5 4' marker-end='url(#ll-arrow)'/>"
         + _text(175, 196, "gradient descent: θ ← θ − α ∂L/∂θ", italic=True))
    return _svg(800, 205, b, "Gaussian: maximum likelihood by gradient descent, then a discriminator's test")


def build() -> list:
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            data = gr.Dropdown(list(DATA_CHOICES), value="normal", label="Data", elem_id="gaussian_data")
            numbers = gr.Textbox(value=EXAMPLE, label=f"Your numbers (for “{MINE}”: 2 to {MAX_N:,}, commas or spaces)",
                                 lines=2, max_length=G.MAX_NUMBERS_TEXT, elem_id="gaussian_numbers")
            with gr.Row():
                seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="gaussian_seed")
                n = gr.Slider(2, MAX_N, value=N_DEFAULT, step=1, label="N (built-in sets)", elem_id="gaussian_n")
            lr = gr.Slider(LR_MIN, LR_MAX, value=LR_DEFAULT, step=0.001, label="Learning rate α",
                           elem_id="gaussian_lr")
            steps = gr.Slider(0, MAX_STEPS, value=0, step=1, label="Steps from the first guess",
                              elem_id="gaussian_steps")
            with gr.Row():
                step_btn = gr.Button("Step once", elem_id="gaussian_step_btn")
                run_btn = gr.Button("Run 50 steps", elem_id="gaussian_run50_btn")
                reset_btn = gr.Button("Reset", elem_id="gaussian_reset_btn")
            fit_btn = gr.Button("Fit from the first guess", variant="primary", elem_id="gaussian_fit_btn")
        with gr.Column(scale=3):
            plot = gr.Plot(label="Gradient descent on the NLL", elem_id="gaussian_plot")
            numbers_md = gr.Markdown(elem_id="gaussian_summary")
            share.link_row("gaussian")
    state = gr.State(None)
    inputs = [data, numbers, seed, n]
    outs = [state, plot, numbers_md]
    fit_inputs = [*inputs, lr, steps]
    shown = "the data and the fit (a matplotlib plot) and the fit's numbers (Markdown)"
    gr.on([fit_btn.click, steps.release, data.input, seed.submit, n.release, numbers.submit], fit, fit_inputs, outs,
          api_name="gaussian_fit", queue=False,
          api_description=f"A normal fitted to data (n draws for seed; or your numbers) by `steps` steps of gradient "
          f"descent at learning rate lr from the first guess: {shown}.")
    step_btn.click(step_once, [state, *inputs, lr], outs, api_name="gaussian_step", queue=False,
                   api_description=f"One more gradient step from where this session's fit stands: {shown}.")
    run_btn.click(run_50, [state, *inputs, lr], outs, api_name="gaussian_run50", queue=False,
                  api_description=f"Fifty more gradient steps from where this session's fit stands: {shown}.")
    reset_btn.click(reset, inputs, [*outs, steps], api_name="gaussian_reset", queue=False,
                    api_description=f"This session's fit back to the first guess: {shown}, and the steps (0).")

    with gr.Accordion("Can a discriminator tell the data from the fit?", open=True, elem_id="gaussian_disc"):
        disc_btn = gr.Button("Train a discriminator against the current fit", elem_id="gaussian_disc_btn")
        disc_md = gr.Markdown("D(x) = sigmoid(a·x² + b·x + c), trained for a fixed number of steps.",
                              elem_id="gaussian_disc_text")
        disc_plot = gr.Plot(label="Real vs fake, and D(x)", elem_id="gaussian_disc_plot")
    disc_btn.click(discriminate, [state, *inputs], [disc_md, disc_plot], api_name="gaussian_discriminate",
                   api_description="A logistic discriminator trained against this session's fit of the data: how "
                   "often it is right (Markdown) and a matplotlib plot of D(x).",
                   queue=False)

    with gr.Accordion("How it works", open=False, elem_id="gaussian_how"):
        gr.Markdown(LESSON, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                              {"left": "$", "right": "$", "display": False}],
                    elem_id="gaussian_lesson")
        gr.HTML(diagram(), elem_id="gaussian_diagram")

    share.register("gaussian", [("data", data, share.choice("Data", DATA_CHOICES)),
                                ("numbers", numbers, _numbers_param), ("seed", seed, C.seed),
                                ("n", n, share.number("N", 2, MAX_N, True)),
                                ("lr", lr, share.number("Learning rate", LR_MIN, LR_MAX)),
                                ("steps", steps, share.number("Steps", 0, MAX_STEPS, True))])
    return [(fit, fit_inputs, outs)]
