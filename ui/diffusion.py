"""The Diffusion tab: sample with DDIM/DDPM (or Euler/Heun for a flow model), watch denoising stream and scrub
it, the forward process, 2D particles flowing from noise to the data through DDPM beside flow matching, and the
speed/quality trade-off for one seed."""
from __future__ import annotations

import functools
import random
import time

import gradio as gr
import numpy as np
import torch

from generators import device as dev
from generators.base import gif_bytes, make_generator
from generators.run import CALL_OVERHEAD_S
from generators.diffusion import SAMPLERS

from . import common as C
from . import i18n as I
from . import lessons, melody, share

MAIN_EVENT = "diffusion_render"          # the tab's main named event (the conformance suite calls it, hostile values too)

CHECKPOINT = "diffusion-mnist"   # the digits' model; the picker's "emoji" draws with diffusion-emoji
CHECKPOINT_2D = "diffusion-8gaussians"
CHECKPOINT_2D_FLOW = "diffusion-8gaussians-flow"
MAX_N = 16
MAX_STEPS = 1000
MAX_POINTS = 3000
MAX_STEPS_2D = 100          # the flow samplers' limit; both 2D models run the same step count
COMPARE = {"eps": (("ddpm", 0), ("ddim", 50), ("ddim", 25), ("ddim", 10)),       # 0: the model's most steps
           "flow": (("heun", 0), ("euler", 25), ("euler", 10), ("euler", 3))}

LESSON = r"""
**How it works.** The *forward process* adds a little Gaussian noise at each of $T = 1000$ steps until a digit is
pure noise: $q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0,\,(1-\bar\alpha_t) I)$. A UNet learns
$\varepsilon_\theta(x_t, t, y)$, the noise that was added, by minimising $\lVert \varepsilon - \varepsilon_\theta \rVert^2$.
The *reverse process* starts from noise and removes it step by step: the prediction gives
$\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon)/\sqrt{\bar\alpha_t}$, and DDPM draws
$x_{t-1}$ from $q(x_{t-1}\mid x_t, \hat x_0)$. **DDIM** jumps many steps at once along the same trained network
($\eta = 0$: deterministic). **Guidance** $w$ mixes the conditional and unconditional predictions,
$\hat\varepsilon = \varepsilon_\varnothing + w(\varepsilon_y - \varepsilon_\varnothing)$: higher $w$, more
typical digits of the asked class, less variety.

**Flow matching** (the shipped digit model, and the 2D particles' right panel) trains the same network on a
straight path instead:
$x_t = (1-t)\,x_0 + t\,\varepsilon$ with $t \in [0, 1]$, and it predicts the velocity
$v_\theta(x_t, t) \approx \varepsilon - x_0$ by minimising $\lVert (\varepsilon - x_0) - v_\theta \rVert^2$.
Sampling integrates $dx/dt = v_\theta$ from $t = 1$ (noise) to $0$ with Euler steps
$x_{t-\Delta} = x_t - \Delta\, v_\theta$ (Heun averages two slopes). Where DDPM's
$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$ bends the paths, the straight
ones need far fewer steps; guidance mixes $v$ exactly as it mixes $\varepsilon$.

**Try this:** ① Drag *steps* from 10 down to 1: the digit survives surprisingly long, then falls apart.
② Watch it denoise: the right-hand $\hat x_0$ is a blurry guess early and sharpens as noise leaves $x_t$.
③ Compare the samplers for one seed: Heun-100 against Euler-25/10/3 (a DDPM model: DDPM-1000 against
DDIM-50/25/10), similar digits for far less time.
④ 2D particles at 10 steps, then 3: flow matching's nearly straight paths still find all eight modes, DDPM's
wandering ones do not. At 1 step every flow particle lands on the mean of the data, between the modes.
"""


def _model(world="digits"):
    return C.image_model("diffusion", world)


def _models2d():
    """(ε-prediction model, flow model) for the particles; this session's trained 2D model takes its objective's side."""
    mine = C.explored("diffusion", "points")
    return tuple(mine if mine is not None and mine.config.objective == objective else C.pretrained(shipped)
                 for objective, shipped in (("eps", CHECKPOINT_2D), ("flow", CHECKPOINT_2D_FLOW)))


def _opts(model, sampler, steps, eta, guidance):
    s = C.choice(sampler, "Sampler", model.samplers)
    k = C.number(steps, "Steps", 1, model.max_steps, integer=True)
    e = C.number(eta, "η", 0, 1)                          # DDIM's; the flow samplers are deterministic
    return dict(sampler=s, steps=k, eta=e if model.config.objective == "eps" else 0.0,
                guidance=C.number(guidance, "Guidance", 0, 10))


def sampler_controls(sampler, world="digits"):
    """The sampler choices of the model the tab draws with: ddim/ddpm (ε-prediction) or euler/heun (flow)."""
    model = _model(world)
    keep = sampler if isinstance(sampler, str) and sampler in model.samplers else model.config.default_sampler
    return (gr.update(choices=I.choices(model.samplers), value=keep), gr.update(maximum=model.max_steps),
            gr.update(visible=model.config.objective == "eps"))


@C.engine_errors
def picked(world, label, held_out, sampler):
    """The model picker chose `world`: its classes in both class pickers (the picked ones kept where it has
    them), then its sampler controls."""
    from generators.data import load_dataset

    own = C.class_choices(world, _model(world).num_classes)
    held = C.class_choices(world, load_dataset(C.WORLDS[C.world(world)], "heldout").num_classes, any_class=False)
    return (gr.update(choices=I.choices(own), value=C.kept(label, own)),
            gr.update(choices=I.choices(held), value=C.kept(held_out, held)), *sampler_controls(sampler, world))


@C.engine_errors
def switched(world, label, held_out, sampler):
    """The user switched the model picker: as `picked`, and the new model's own sampler, steps and guidance (the
    emoji model drawn at the digits' w 1.33 reads as its group 54% of the time, at its own w 2, 66%). A link's
    values are not reset: a link sets the picker without this event."""
    *head, _sampler, steps, eta = picked(world, label, held_out, sampler)
    c = _model(world).config
    return (*head, gr.update(choices=I.choices(_model(world).samplers), value=c.default_sampler),
            gr.update(maximum=_model(world).max_steps, value=c.default_steps), eta, gr.update(value=c.default_guidance))


def _labels(model, label, n):
    y = C.label(label, model.num_classes)
    if y is not None or not model.num_classes:
        return y
    return torch.arange(n) % model.num_classes


# ----------------------------------------------------------------------------- GPU calls (generators/device.py)
# A call's duration is what ZeroGPU checks the visitor's quota against: the call's start-up plus the network
# evaluations it makes (one per step, two with guidance), at NFE_S each (a small UNet at batch ≤ 16 is bound by
# kernel launches on a GPU: a few ms an evaluation), rounded up.
NFE_S = 0.01


def _nfe_seconds(opts: dict, runs: int = 1) -> int:
    evals = opts["steps"] * (2 if opts.get("guidance", 0) not in (0, 1) else 1) * runs
    return int(CALL_OVERHEAD_S + evals * NFE_S) + 1


@dev.gpu_call(duration=lambda model, n, seed, labels, opts: _nfe_seconds(opts))
def _sample(model, n, seed, labels, opts):
    """A GPU call: n samples of `model` (a CPU model; its copy computes on the heavy device) → CPU tensor."""
    m = dev.on(model, dev.heavy_device())
    return m.sample(n, generator=make_generator(seed, m.device), labels=labels, **opts).cpu()


@dev.gpu_call(duration=lambda model, n, seed, labels, opts: _nfe_seconds(opts))
def _trajectory(model, n, seed, labels, opts):
    """A GPU call streaming (i, total, t, x_t, x̂_0) of the sampler, 40 frames, as CPU tensors."""
    m = dev.on(model, dev.heavy_device())
    for i, total, t, xt, x0 in m.trajectory(n, generator=make_generator(seed, m.device), frames=40, labels=labels,
                                            **opts):
        yield i, total, t, xt.cpu(), x0.cpu()


@C.engine_errors
def render(seed, label, sampler, steps, eta, guidance, n, world="digits"):
    """A grid of n samples (one picture by default) for the chosen sampler settings."""
    model = _model(world)
    s, n = C.seed(seed), C.number(n, "Samples", 1, MAX_N, integer=True)
    x = _sample(model, n, s, _labels(model, label, n), _opts(model, sampler, steps, eta, guidance))
    return C.grid_image(x, scale=8 if n == 1 else 4)


@C.engine_errors
def watch(seed, label, sampler, steps, eta, guidance, n, world="digits", progress=gr.Progress()):
    """Stream x_t (left) and the predicted x̂_0 (right) every few steps; keep the frames for scrubbing."""
    model = _model(world)
    s, n = C.seed(seed), C.number(n, "Samples", 1, MAX_N, integer=True)
    opts = _opts(model, sampler, steps, eta, guidance)
    frames = []
    for i, total, t, xt, x0 in _trajectory(model, n, s, _labels(model, label, n), opts):
        left = C.grid_image(xt, scale=4)
        frame = np.concatenate([left, np.full((left.shape[0], 12), 255, np.uint8), C.grid_image(x0, scale=4)], 1)
        frames.append(frame)
        progress(i / total, desc=f"step {i}/{total} (t = {t:g})")
        # Gradio refuses a Slider with minimum == maximum, so the scrubber spans at least 1..2 (scrub clamps)
        yield frame, f"step {i} / {total}, t = {t:g}", frames, gr.update(maximum=max(len(frames), 2),
                                                                           value=len(frames))


def scrub(frames, k):
    if not frames:
        raise I.error("Run 'Watch it denoise' first.")
    k = C.number(k, "Frame", 1, max(len(frames), 2), integer=True)
    return frames[min(k, len(frames)) - 1]


def grid_png(seed, label, sampler, steps, eta, guidance, n, world="digits"):
    from generators.base import png_bytes

    img = render(seed, label, sampler, steps, eta, guidance, n, world)      # validates every input
    return C.temp_file(png_bytes(img), f"{C.shipped_name('diffusion', world)}_seed{int(seed)}_class-{label}_"
                                       f"{sampler}{int(steps)}_eta{float(eta):g}_w{float(guidance):g}_n{int(n)}.png")


def trajectory_gif(frames, world="digits"):
    if not frames:
        raise I.error("Run 'Watch it denoise' first.")
    return C.temp_file(gif_bytes(frames + [frames[-1]] * 8, duration_ms=80),
                       f"{C.shipped_name('diffusion', world)}_denoising.gif")


# ----------------------------------------------------------------------------- forward process
@functools.lru_cache(maxsize=2)
def _alpha_curve(chinese: bool = False) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ab = _model().alpha_bar.cpu().numpy()
    fig = Figure(figsize=(4.2, 2.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(ab, label="ᾱ_t (signal²)")
    ax.plot(1 - ab, label="1 − ᾱ_t (noise²)")
    ax.set_xlabel("t")
    ax.legend(fontsize=8)
    I.localize_figure(fig, chinese).tight_layout()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


@C.engine_errors
def forward(label, t, seed, world="digits"):
    """A held-out picture (a digit, an emoji) noised to step t: how much of it is left."""
    from generators.data import load_dataset

    model = _model(world)
    d = load_dataset(C.WORLDS[C.world(world)], "heldout")
    k = C.number(label, "Class", 0, d.num_classes - 1, integer=True)
    t = C.number(t, "t", 0, model.config.timesteps - 1, integer=True)
    x0 = d.x[d.y == k][:1].to(model.device)
    xt = model.q_sample(x0, t, generator=make_generator(C.seed(seed), model.device)).clamp(0, 1)
    a, b = model.signal_noise(t)                          # x_t = a x_0 + b ε
    curve = _alpha_curve(I.figure_chinese()).copy()
    col = int(round(curve.shape[1] * (0.12 + 0.8 * t / model.config.timesteps)))    # rough marker at t
    curve[:, max(0, col - 1):col + 1] = (220, 38, 38)
    return (C.grid_image(torch.cat([x0, xt]), nrow=2, scale=6), curve,
            I.tr(f"t = {t}: {a:.3f} × the digit + {b:.3f} × noise"))


# ----------------------------------------------------------------------------- 2D particles
def _paths(model, s: int, n: int, k: int) -> np.ndarray:
    """x_T, then x after each of k steps of the model's default sampler: (k + 1, n, 2)."""
    xs = [model.draw_latents(n, make_generator(s, model.device))]
    xs += [x for *_, x, _ in model.trajectory(n, generator=make_generator(s, model.device), frames=k, steps=k)]
    return np.stack([x.cpu().numpy() for x in xs])


@dev.gpu_call(duration=lambda models, s, n, k: CALL_OVERHEAD_S + 1 + int(2 * k * NFE_S))
def _particle_paths(models, s, n, k):
    """A GPU call: the paths of `_paths` for each model → (k + 1, models, n, 2) numpy."""
    return np.stack([_paths(dev.on(m, dev.heavy_device()), s, n, k) for m in models], 1)


@C.engine_errors
def particles(seed, n, steps):
    """The same noise through DDPM (left) and flow matching (right), k steps each; frames for the slider."""
    s = C.seed(seed)
    n = C.number(n, "Points", 100, MAX_POINTS, integer=True)
    k = C.number(steps, "Steps", 1, MAX_STEPS_2D, integer=True)
    frames = list(_particle_paths(_models2d(), s, n, k))                      # k + 1 frames of (2, n, 2)
    return frames, gr.update(maximum=len(frames) - 1, value=len(frames) - 1), particle_plot(frames, len(frames) - 1)


def particle_plot(frames, k):
    from generators.data import load_toy, toy_modes
    from generators.metrics import TOY_STD, mode_stats
    from generators.plots import paths_figure

    if not frames:
        raise I.error("Press 'Run the particles' first.")
    k = C.number(k, "Frame", 0, len(frames) - 1, integer=True)
    real = load_toy("8gaussians", "heldout").x.numpy()
    paths = np.stack(frames[:k + 1], 1)                   # (2, k + 1, n, 2): model, frame, particle, xy
    panels = []
    for name, model, p in zip(("DDPM (ε-prediction)", "flow matching"), _models2d(), paths):
        st = mode_stats(torch.from_numpy(p[-1]), toy_modes("8gaussians"), TOY_STD["8gaussians"])
        panels.append((f"{name}, {model.config.default_sampler} step {k} / {len(frames) - 1}\n"
                       f"{st['modes_covered']}/8 modes, {st['high_quality']:.0%} within 3σ", p))
    return I.localize_figure(paths_figure(panels, real, lim=4.0))


# ----------------------------------------------------------------------------- speed vs quality
def _compare_seconds(model, s, y, g):
    runs = sum(steps or model.max_steps for _, steps in COMPARE[model.config.objective])
    return _nfe_seconds({"steps": runs, "guidance": g})


@dev.gpu_call(duration=_compare_seconds)
def _compare_runs(model, s, y, g):
    """A GPU call: one seed through the model's COMPARE samplers → [(sampler, steps, CPU picture, seconds)]."""
    m = dev.on(model, dev.heavy_device())
    out = []
    for sampler, steps in COMPARE[m.config.objective]:
        steps = steps or m.max_steps
        t0 = time.perf_counter()
        x = m.sample(1, generator=make_generator(s, m.device), labels=y, sampler=sampler, steps=steps, guidance=g)
        dev.synchronize(m.device)
        out.append((sampler, steps, x.cpu(), time.perf_counter() - t0))
    return out


@C.engine_errors
def compare(seed, label, guidance, world="digits"):
    """One seed through the model's samplers (COMPARE: DDPM-1000 and DDIM-50/25/10, or Heun-100 and
    Euler-25/10/3): the pictures and each one's time."""
    model = _model(world)
    s = C.seed(seed)
    y = _labels(model, label, 1)
    g = C.number(guidance, "Guidance", 0, 10)
    runs = _compare_runs(model, s, y, g)
    notes = [f"{sampler.upper()}-{steps}: {secs:.2f} s" for sampler, steps, _, secs in runs]
    return C.grid_image(torch.cat([x for _, _, x, _ in runs]), nrow=4, scale=6), " · ".join(notes)


# ----------------------------------------------------------------------------- the Train tab's view
def train_overlay(ax, model, fake, lim) -> None:
    """The Train tab's 2D view: the preview particles' paths from noise (grey) to data."""
    if not hasattr(model, "trajectory") or model.data_kind != "points":
        return
    with torch.no_grad():                               # the preview's fixed noise, k deterministic steps
        p = _paths(model, 1234, len(fake), min(25, model.max_steps))[:, :64]     # (k + 1, 64, 2)
    ax.plot(p[:, :, 0], p[:, :, 1], color="#999999", lw=0.6, alpha=0.6)        # noise (grey) → data (orange)
    ax.scatter(p[0, :, 0], p[0, :, 1], s=4, c="#999999", alpha=0.7, label="noise x_T")


def build() -> list:
    model = _model()
    classes = C.class_choices("digits", model.num_classes)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            world = C.model_picker("diffusion", "diff_model")
            with gr.Row():
                seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="diff_seed")
                dice = gr.Button("🎲", elem_id="diff_dice", scale=0, min_width=50)
            label = gr.Dropdown(classes, value="3", label="Class", elem_id="diff_label")
            sampler = gr.Radio(list(model.samplers), value=model.config.default_sampler, label="Sampler",
                               elem_id="diff_sampler")
            steps = gr.Slider(1, model.max_steps, value=model.config.default_steps, step=1, label="Steps",
                              elem_id="diff_steps")
            eta = gr.Slider(0, 1, value=0.0, step=0.05, label="η (DDIM randomness)", elem_id="diff_eta",
                            visible=model.config.objective == "eps")
            guidance = gr.Slider(0, 10, value=model.config.default_guidance, step=0.25, label="Guidance w",
                                 elem_id="diff_guidance")
            n = gr.Slider(1, MAX_N, value=1, step=1, label="Samples", elem_id="diff_n")
        with gr.Column(scale=1):
            img = gr.Image(label="Sample", elem_id="diff_img", format="png", interactive=False, height=300)
            share.link_row("diffusion")
            with gr.Row():
                png_btn = gr.Button("Download PNG", size="sm", elem_id="diff_png_btn", scale=0, min_width=140)
                png_file = C.download_box("PNG", "diff_png")
    inputs = [seed, label, sampler, steps, eta, guidance, n, world]
    gr.on([steps.release, guidance.release, eta.release, n.release, sampler.input, label.input, seed.submit],
          render, inputs, img, api_name="diffusion_render", show_progress="minimal", **C.GPU,
          api_description="A grid of n samples (one picture by default; a PNG file) for seed, label, sampler, steps, "
          "eta and guidance; world: digits or emoji.")
    dice.click(lambda: random.randint(0, 2**31 - 1), None, seed, api_name=False, queue=False).then(
        render, inputs, img, api_name=False, **C.GPU)
    C.reveal(png_btn.click(grid_png, inputs, png_file, api_name="diffusion_png", **C.GPU,
                           api_description="The grid of /diffusion_render as a PNG file to keep, named after its "
                           "settings."), png_file)

    with gr.Accordion("Watch it denoise", open=True):
        with gr.Row():
            go = gr.Button("Watch it denoise", variant="primary", elem_id="diff_watch")
            stop = gr.Button("Stop", elem_id="diff_stop")
            gif_btn = gr.Button("Download GIF", elem_id="diff_gif_btn")
        live = gr.Image(label="x_t (left) and the predicted x̂₀ (right)", elem_id="diff_live", format="png",
                        interactive=False)
        status = gr.Markdown(elem_id="diff_status")
        frames = gr.State([])
        scrubber = gr.Slider(1, 2, value=1, step=1, label="Scrub through the stored trajectory",
                             elem_id="diff_scrub")
        gif = C.download_box("GIF", "diff_gif")
    ev = go.click(watch, inputs, [live, status, frames, scrubber], api_name="diffusion_watch", **C.GPU,
                  api_description="Streams the sampling of /diffusion_render's settings; each update: x_t beside the "
                  "predicted x̂₀ (a PNG file), 'step i / total, t = …', and the scrubber's new range.")
    stop.click(None, None, None, cancels=[ev])
    scrubber.input(scrub, [frames, scrubber], live, api_name=False, **C.CHEAP)
    C.reveal(gif_btn.click(trajectory_gif, [frames, world], gif, api_name=False, queue=False), gif)

    with gr.Accordion("The forward process: how much of the digit is left at step t?", open=False):
        with gr.Row():
            f_label = gr.Dropdown(C.class_choices("digits", 10, any_class=False), value="5", label="Held-out digit",
                                  elem_id="diff_fwd_label")
            f_t = gr.Slider(0, model.config.timesteps - 1, value=250, step=1, label="t", elem_id="diff_fwd_t")
        with gr.Row():
            f_img = gr.Image(label="x₀ and x_t", elem_id="diff_fwd_img", format="png", interactive=False)
            f_curve = gr.Image(label="The noise schedule", elem_id="diff_fwd_curve", format="png", interactive=False)
        f_txt = gr.Markdown(elem_id="diff_fwd_text")
    gr.on([f_t.input, f_label.change], forward, [f_label, f_t, seed, world], [f_img, f_curve, f_txt],
          api_name="diffusion_forward", **C.CHEAP,
          api_description="The held-out picture of class label noised to step t (seed draws the noise): x₀ beside x_t "
          "(PNG file), the noise schedule (PNG file) and how much of the signal is left (Markdown).")

    with gr.Accordion("2D particles: the same 2,000 noise points through DDPM and flow matching", open=False):
        with gr.Row():
            p_n = gr.Slider(100, MAX_POINTS, value=2000, step=100, label="Points", elem_id="diff2d_n")
            p_steps = gr.Slider(1, MAX_STEPS_2D, value=10, step=1, label="Steps (each)", elem_id="diff2d_steps")
            p_go = gr.Button("Run the particles", elem_id="diff2d_btn")
        p_frames = gr.State([])
        p_slider = gr.Slider(0, 1, value=0, step=1, label="Frame", elem_id="diff2d_frame")
        p_plot = gr.Plot(elem_id="diff2d_plot")
    p_go.click(particles, [seed, p_n, p_steps], [p_frames, p_slider, p_plot], api_name="diffusion_particles",
               api_description="n 2D noise points through DDPM and flow matching, `steps` steps each: the frame "
               "slider's new range and a matplotlib plot of the last frame.",
               **C.GPU)
    p_slider.release(particle_plot, [p_frames, p_slider], p_plot, api_name=False, queue=False)

    with gr.Accordion("Speed vs quality: one seed, four samplers", open=False):
        runs = [f"{smp.upper()}-{k or model.max_steps}" for smp, k in COMPARE[model.config.objective]]
        c_btn = gr.Button(f"Compare {runs[0]} with {', '.join(runs[1:])}", elem_id="diff_compare_btn")
        c_img = gr.Image(label=" · ".join(runs), elem_id="diff_compare", format="png", interactive=False)
        c_txt = gr.Markdown(elem_id="diff_compare_text")
    c_btn.click(compare, [seed, label, guidance, world], [c_img, c_txt], api_name="diffusion_compare", **C.GPU,
                api_description="One seed and label through four samplers, slow to fast: their pictures in a row "
                "(a PNG file) and each one's time.")
    picked_io = (picked, [world, label, f_label, sampler], [label, f_label, sampler, steps, eta])
    switch = world.input(switched, [world, label, f_label, sampler], [label, f_label, sampler, steps, eta, guidance],
                         api_name=False, **C.CHEAP)
    switch.then(render, inputs, img, api_name=False, **C.GPU)
    switch.then(forward, [f_label, f_t, seed, world], [f_img, f_curve, f_txt], api_name=False, **C.CHEAP)

    melody.build_diffusion()

    with gr.Accordion("How it works", open=False):
        gr.Markdown(LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.diffusion(), elem_id="diff_diagram")

    share.register("diffusion", [("seed", seed, C.seed),
                                 ("label", label, share.choice("Class", [v for _, v in classes])),
                                 ("sampler", sampler, share.choice("Sampler", [x for v in SAMPLERS.values() for x in v])),
                                 ("steps", steps, share.number("Steps", 1, MAX_STEPS, True)),
                                 ("eta", eta, share.number("η", 0, 1)), ("guidance", guidance, share.number("Guidance", 0, 10)),
                                 ("n", n, share.number("Samples", 1, MAX_N, True)), ("model", world, C.world)])
    return [(sampler_controls, [sampler, world], [sampler, steps, eta]), picked_io, (render, inputs, img)]


ON_SELECT = (sampler_controls,)   # app.py reruns it when the tab opens: the Train tab may have sent a flow model
SERVER_DREW = ()
