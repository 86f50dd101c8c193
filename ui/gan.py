"""The GAN tab: seeds and classes, GANSpace latent sliders, truncation, interpolation, the 2D view."""
from __future__ import annotations

import random

import gradio as gr
import numpy as np
import torch

from generators.base import gif_bytes, make_generator, png_bytes, slerp

from . import browser as B
from . import common as C
from . import i18n as I
from . import classroom, lessons, share

MAIN_EVENT = "gan_grid"          # the tab's main named event (the conformance suite calls it, hostile values too)

CHECKPOINT = "gan-mnist"         # the digits' model; the picker's "emoji" draws with gan-emoji (C.shipped_name)
CHECKPOINT_2D = "gan-8gaussians"
N_PCA = 8          # principal-direction sliders
N_RAW = 16         # raw latent dimensions behind the accordion
SLIDER = 3.0       # slider range ±
MAX_GRID = 64
MAX_FRAMES = 32
MAX_POINTS = 5000

LESSON = r"""
**How it works.** A generator $G$ maps noise $z \sim \mathcal N(0, I)$ (and a class $y$) to a digit; a
discriminator $D$ learns to tell real digits from generated ones, and $G$ learns to fool it:
$\min_G \max_D\; \mathbb E_x[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))]$.

**The sliders** move $z$ along the *principal directions* of the generator's first layer (GANSpace, Härkönen et
al. 2020): directions that change the picture most. The raw dimensions of $z$ rarely mean anything on their own.

**Try this:** ① pick class 7 and drag *direction 1*: the stroke's slant or thickness changes while the digit stays a 7.
② Set truncation to 0.3 and press 🎲 a few times: samples get cleaner and more alike (less diversity).
③ Interpolate between two seeds: every frame in between is a plausible digit — the latent space is smooth.
"""


RENDER_API = ("One picture (a PNG file) from seed, label (a class or any) and truncation, moved along the "
              "principal directions z0…z7 and the raw latent offsets raw0…raw15 (each −3…3); world: digits or emoji.")


def _model(world="digits"):
    return C.image_model("gan", world)


def _labels(model, world="digits") -> list[tuple[str, str]]:
    return C.class_choices(world, model.num_classes)


def _direction_labels(model) -> list[str]:
    var = model.principal_directions(N_PCA)[1].tolist() + [0.0] * N_PCA     # a small trained model: fewer
    return [f"Direction {i + 1} ({100 * var[i]:.1f}% of variance)" for i in range(N_PCA)]


@C.engine_errors
def render(seed, label, truncation, *sliders_and_model):
    """One picture from a seed, moved along the principal directions (and raw dimensions); after the sliders,
    the model picker's value (digits when left out)."""
    sliders, (world,) = C.split_tail(sliders_and_model, N_PCA + N_RAW, ("digits",), "slider values")
    model = _model(world)
    s, y = C.seed(seed), C.label(label, model.num_classes)
    psi = C.number(truncation, "Truncation", 0, 2)
    vals = [C.number(v, f"Slider {i}", -SLIDER, SLIDER) for i, v in enumerate(sliders)]
    g = make_generator(s, model.device)
    # a model from the Train tab may have fewer latent dimensions than the 16 raw sliders: the rest move nothing
    d = model.config.latent_dim
    z = model.steered_latent(g, pca=vals[:min(N_PCA, d)], offsets=vals[N_PCA:N_PCA + d])
    img = model.sample(1, generator=g, latents=z, labels=y, truncation=psi)
    return C.grid_image(img, scale=8)


@C.engine_errors
def grid(seed, label, truncation, n, world="digits"):
    model = _model(world)
    s, y, psi = C.seed(seed), C.label(label, model.num_classes), C.number(truncation, "Truncation", 0, 2)
    n = C.number(n, "Samples", 1, MAX_GRID, integer=True)
    labels = y if y is not None else (torch.arange(n) % model.num_classes if model.num_classes else None)
    imgs = model.sample(n, generator=make_generator(s, model.device), labels=labels, truncation=psi)
    return C.grid_image(imgs, scale=3)


def grid_png(seed, label, truncation, n, world="digits"):
    img = grid(seed, label, truncation, n, world)   # validates; the name below uses the validated values
    y, psi = C.label(label, _model(world).num_classes), C.number(truncation, "Truncation", 0, 2)
    return C.temp_file(png_bytes(img), f"{C.shipped_name('gan', world)}_seed{C.seed(seed)}_class-"
                                       f"{'any' if y is None else y}_trunc{psi:g}.png")


def _interp_ends(model, a: int, b: int, y):
    """The two seeds' prior draws and the class the interpolation shows (seed a's draw for "any")."""
    za = model.draw_latents(1, make_generator(a, model.device))[0]
    zb = model.draw_latents(1, make_generator(b, model.device))[0]
    if y is None and model.num_classes:
        y = int(torch.randint(0, model.num_classes, (1,), generator=make_generator(a)).item())
    return za, zb, y


@C.engine_errors
def interpolate(seed_a, seed_b, label, frames, truncation, world="digits"):
    """Spherical interpolation between the latents of two seeds: a strip and a GIF."""
    model = _model(world)
    a, b, y = C.seed(seed_a), C.seed(seed_b), C.label(label, model.num_classes)
    k = C.number(frames, "Frames", 2, MAX_FRAMES, integer=True)
    psi = C.number(truncation, "Truncation", 0, 2)
    za, zb, y = _interp_ends(model, a, b, y)
    z = slerp(za, zb, torch.linspace(0, 1, k, device=model.device))
    imgs = model.sample(k, generator=make_generator(a, model.device), latents=z, labels=y, truncation=psi)
    strip = C.grid_image(imgs, nrow=k, scale=3)
    frames_ = [C.grid_image(imgs[i:i + 1], scale=6) for i in range(k)]
    frames_ += frames_[::-1][1:-1]                      # there and back, looping
    gif = C.temp_file(gif_bytes(frames_, duration_ms=90),
                      f"{C.shipped_name('gan', world)}_interp_seed{a}-to-seed{b}_class-{label}.gif")
    return strip, gif


@C.engine_errors
def interp_point(seed_a, seed_b, label, truncation, t, world="digits"):
    """The picture at position t ∈ [0, 1] on the spherical path between two seeds' latents."""
    model = _model(world)
    a, b, y = C.seed(seed_a), C.seed(seed_b), C.label(label, model.num_classes)
    psi, t = C.number(truncation, "Truncation", 0, 2), C.number(t, "Position", 0, 1)
    za, zb, y = _interp_ends(model, a, b, y)
    z = slerp(za, zb, torch.tensor([t], device=model.device))
    img = model.sample(1, generator=make_generator(a, model.device), latents=z, labels=y, truncation=psi)
    return C.grid_image(img, scale=8)


@C.engine_errors
def interp_state(seed_a, seed_b, label, world="digits"):
    """What the page needs to draw interp_point itself: both ends and the class."""
    model = _model(world)
    if model is C.explored("gan", "image"):      # the session's trained model has no ONNX file: server draws
        return {"server": True}
    za, zb, y = _interp_ends(model, C.seed(seed_a), C.seed(seed_b), C.label(label, model.num_classes))
    return {"za": za.tolist(), "zb": zb.tolist(), "label": y, "classes": model.num_classes}


@C.engine_errors
def scatter_2d(seed, n):
    from generators.data import load_toy
    from generators.plots import scatter_figure

    model = C.model_for("gan", "points", CHECKPOINT_2D)
    s, n = C.seed(seed), C.number(n, "Points", 10, MAX_POINTS, integer=True)
    pts = model.sample(n, generator=make_generator(s, model.device)).cpu().numpy()
    real = load_toy(model.meta.get("dataset", "8gaussians"), "heldout").x.numpy()
    return I.localize_figure(scatter_figure(pts, real, title=f"{model.meta.get('dataset')}: real (grey) vs generated (orange)"))


@C.engine_errors
def browser_state(seed, label, world="digits"):
    """What the page needs to draw `render`'s picture itself: the seed's prior draw z, its class, the directions."""
    model = _model(world)
    s, y = C.seed(seed), C.label(label, model.num_classes)
    if model is C.explored("gan", "image"):      # the session's trained model has no ONNX file: server draws
        return {"server": True}
    g = make_generator(s, model.device)
    z = model.draw_latents(1, g)                 # the draw steered_latent makes, then sample's class draw
    if y is None and model.num_classes:
        y = int(torch.randint(0, model.num_classes, (1,), generator=g, device=model.device).item())
    u, _ = model.principal_directions(N_PCA)
    return {"z": z[0].tolist(), "label": y, "classes": model.num_classes, "directions": u[:N_PCA].tolist()}


@C.engine_errors
def picked(world, label):
    """The model picker chose `world`: its classes (the picked one kept where it has it), the share of variance
    of its directions, and the decoder the page runs (the indicator)."""
    model = _model(world)
    choices = _labels(model, world)
    return (gr.update(choices=I.choices(choices), value=C.kept(label, choices)),
            B.indicator_html("gan", C.shipped_name("gan", world)),
            *[gr.update(label=C.localized(text)) for text in _direction_labels(model)])


def random_seed():
    return random.randint(0, 2**31 - 1)   # only picks a seed to show; all sampling uses a torch.Generator


def reset():
    return [0.0] * (N_PCA + N_RAW)


# Redrawn when the tab is opened: the Train tab may have sent this session's model here (or taken it back).
ON_SELECT = (render, browser_state, interp_state, interp_point)
SERVER_DREW = ("gan", "gan_interp")


# ----------------------------------------------------------------------------- the Train tab's view
def train_overlay(ax, model, fake, lim) -> None:
    """The Train tab's 2D view: the discriminator's opinion (red: "real") and arrows where G's samples are pushed."""
    if not hasattr(model, "discriminate"):
        return
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


def build() -> list:
    model = _model()
    for w in C.worlds("gan")[1:]:                   # the other worlds' labels: in the page's catalog from the start
        for text in _direction_labels(_model(w)):
            C.localized(text)
    with gr.Row():                                  # the picture first and large (first on a phone too)
        with gr.Column(scale=1, min_width=300):
            img = gr.Image(label="Generated picture", elem_id="gan_img", format="png", height=360, width=360,
                           interactive=False, show_label=True)
            share.link_row("gan")
            indicator = B.indicator("gan", CHECKPOINT, tuple(C.shipped_name("gan", w) for w in C.worlds("gan")))
        with gr.Column(scale=2):
            world = C.model_picker("gan", "gan_model")
            with gr.Row(equal_height=True):        # the few controls that pick the digit, in one compact row
                seed_box = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="gan_seed",
                                     min_width=110)
                dice = gr.Button("🎲", elem_id="gan_dice", scale=0, min_width=50)
                label = gr.Dropdown(_labels(model), value="any", label="Class", elem_id="gan_label", min_width=110)
                trunc = gr.Slider(0, 2, value=model.config.default_truncation, step=0.05,
                                  label="Truncation ψ (lower = more typical)", elem_id="gan_truncation",
                                  min_width=220)
            with gr.Group():
                pca = [gr.Slider(-SLIDER, SLIDER, value=0.0, step=0.05, elem_id=f"z{i}", label=text)
                       for i, text in enumerate(_direction_labels(model))]
            with gr.Accordion(f"Raw latent dimensions (first {N_RAW} of {model.config.latent_dim}: offsets Δz)",
                              open=False):
                raw = [gr.Slider(-SLIDER, SLIDER, value=0.0, step=0.05, label=f"Δz[{i}]", elem_id=f"raw{i}")
                       for i in range(N_RAW)]
            reset_btn = gr.Button("Reset sliders", size="sm", elem_id="gan_reset")
    sliders = pca + raw
    inputs = [seed_box, label, trunc, *sliders, world]
    binputs = [seed_box, label, world]
    # the API names the sliders as the page's links do (z0…z7, raw0…raw15); positions as they always were
    C.api_signature(render, inputs, ["seed", "label", "truncation", *(f"z{i}" for i in range(N_PCA)),
                                     *(f"raw{i}" for i in range(N_RAW)), "world"])
    # A drag is drawn by the page (onnxruntime-web) from `state`; the page presses the hidden button for the
    # server path (no WebAssembly, model not loaded yet). API users call gan_render as before.
    state = gr.JSON(visible="hidden", elem_id="gan_browser_state")
    server_btn = gr.Button("render on the server", visible="hidden", elem_id="gan_server_render")
    gr.on([s.input for s in sliders] + [trunc.input], None, [state, trunc, *sliders], None,
          js=B.drag_js("gan"), api_name=False, queue=False, trigger_mode="always_last")
    server_btn.click(C.fast(render, img), inputs, img, api_name="gan_render", **C.FAST, api_description=RENDER_API)
    B.server_drew(gr.on([seed_box.submit, label.input], render, inputs, img, api_name="gan_render_seed",
                        api_description=RENDER_API[:-1] + " (Gradio checks each input first, as for the page's "
                        "seed box and class picker).", **C.CHEAP).then(
        browser_state, binputs, state, api_name=False, **C.CHEAP), "gan")
    B.server_drew(dice.click(random_seed, None, seed_box, api_name=False, queue=False).then(
        render, inputs, img, api_name=False, **C.CHEAP).then(
        browser_state, binputs, state, api_name=False, **C.CHEAP), "gan")
    picked_io = (picked, [world, label], [label, indicator, *pca])
    switch = world.input(*picked_io, api_name=False, **C.CHEAP)      # then every picture of the tab, below
    B.server_drew(switch.then(render, inputs, img, api_name=False, **C.CHEAP).then(
        browser_state, binputs, state, api_name=False, **C.CHEAP), "gan")
    B.server_drew(reset_btn.click(reset, None, sliders, api_name=False, queue=False).then(
        render, inputs, img, api_name=False, **C.CHEAP), "gan")

    with gr.Accordion("Sample grid", open=True):
        with gr.Row():
            n = gr.Slider(1, MAX_GRID, value=16, step=1, label="Samples", elem_id="gan_n")
            grid_btn = gr.Button("Draw grid", elem_id="gan_grid_btn")
            png_btn = gr.Button("Download PNG", elem_id="gan_png_btn")
        grid_img = gr.Image(label="Samples", elem_id="gan_grid", format="png", interactive=False)
        grid_file = C.download_box("PNG", "gan_png")
    ginputs = [seed_box, label, trunc, n, world]
    gr.on([grid_btn.click, n.release, trunc.release, seed_box.submit, label.input], grid, ginputs, grid_img,
          api_name="gan_grid", api_description="A grid of n samples (a PNG file) for seed, label (any: every class "
          "in turn) and truncation; world: digits or emoji.", **C.CHEAP)
    switch.then(grid, ginputs, grid_img, api_name=False, **C.CHEAP)
    C.reveal(png_btn.click(grid_png, ginputs, grid_file, api_name="gan_png", queue=False,
                            api_description="The grid of /gan_grid as a PNG file to keep, named after its settings."),
             grid_file)

    with gr.Accordion("Interpolate between two seeds", open=False):
        with gr.Row():
            sa = gr.Number(value=0, label="From seed", precision=0, minimum=0, elem_id="gan_seed_a")
            sb = gr.Number(value=1, label="To seed", precision=0, minimum=0, elem_id="gan_seed_b")
            frames = gr.Slider(2, MAX_FRAMES, value=10, step=1, label="Frames", elem_id="gan_frames")
            interp_btn = gr.Button("Interpolate", elem_id="gan_interp_btn")
        strip = gr.Image(label="Spherical interpolation", elem_id="gan_strip", format="png", interactive=False)
        gif = C.download_box("GIF", "gan_gif")
        with gr.Row():
            pos = gr.Slider(0, 1, value=0.5, step=0.01, label="Position t on the path (drag me)",
                            elem_id="gan_interp_t")
            pos_img = gr.Image(label="The picture at t", elem_id="gan_interp_img", format="png", height=240,
                               width=240, interactive=False)
    C.reveal(interp_btn.click(interpolate, [sa, sb, label, frames, trunc, world], [strip, gif],
                              api_name="gan_interpolate", queue=False,
                              api_description="Spherical interpolation from seed_a's latent to seed_b's in `frames` "
                              "pictures: a strip (PNG file) and a looping GIF file."), gif)
    # the position slider: drawn by the page like the latent sliders, the server when it cannot
    istate = gr.JSON(visible="hidden", elem_id="gan_interp_state")
    ibtn = gr.Button("render on the server", visible="hidden", elem_id="gan_interp_server_render")
    pinputs = [sa, sb, label, trunc, pos, world]
    iinputs = [sa, sb, label, world]
    pos.input(None, [istate, trunc, pos], None, js=B.drag_js("gan_interp"), api_name=False, queue=False,
              trigger_mode="always_last")
    ibtn.click(C.fast(interp_point, pos_img), pinputs, pos_img, api_name="gan_interp_point", **C.FAST,
               api_description="The picture (a PNG file) at position t (0–1) on the spherical path from seed_a's "
               "latent to seed_b's.")
    ends = [sa.submit, sb.submit, label.change, interp_btn.click]
    B.server_drew(gr.on(ends, interp_point, pinputs, pos_img, api_name=False, **C.CHEAP).then(
        interp_state, iinputs, istate, api_name=False, **C.CHEAP), "gan_interp")
    B.server_drew(switch.then(interp_point, pinputs, pos_img, api_name=False, **C.CHEAP).then(
        interp_state, iinputs, istate, api_name=False, **C.CHEAP), "gan_interp")

    with gr.Accordion("2D view: a GAN on 8 Gaussians", open=False):
        with gr.Row():
            seed2 = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="gan2d_seed")
            npts = gr.Slider(100, MAX_POINTS, value=2000, step=100, label="Points", elem_id="gan2d_n")
            btn2 = gr.Button("Draw", elem_id="gan2d_btn")
        plot = gr.Plot(label="Real vs generated", elem_id="gan2d_plot")
    btn2.click(scatter_2d, [seed2, npts], plot, api_name="gan_2d", queue=False,
               api_description="n points from the GAN trained on 8 Gaussians over the real ones: a matplotlib plot.")

    with gr.Accordion("Classroom mode: train a 2D GAN one D step / one G step per click", open=False,
                      elem_id="gan2d_classroom") as class_acc:
        classroom.build_ui(class_acc)

    with gr.Accordion("How it works", open=False):
        gr.Markdown(LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.gan(), elem_id="gan_diagram")

    share.register("gan", [("seed", seed_box, C.seed),
                           ("label", label, share.choice("Class", [v for _, v in _labels(model)])),   # 0–9 ⊇ 0–8
                           ("trunc", trunc, share.number("Truncation", 0, 2)),
                           *[(f"z{i}", s, share.number(f"z{i}", -SLIDER, SLIDER)) for i, s in enumerate(pca)],
                           *[(f"raw{i}", s, share.number(f"raw{i}", -SLIDER, SLIDER)) for i, s in enumerate(raw)],
                           ("n", n, share.number("Samples", 1, MAX_GRID, True)), ("model", world, C.world)])
    return [picked_io, (render, inputs, img), (browser_state, binputs, state), (grid, ginputs, grid_img),
            (interp_state, iinputs, istate), (interp_point, pinputs, pos_img)]   # run once when the page opens
