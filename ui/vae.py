"""The VAE tab: latent sliders, the 2D latent map (click to decode), draw a digit, interpolate."""
from __future__ import annotations

import functools
import random

import gradio as gr
import numpy as np
import torch

from generators.base import gif_bytes, make_generator, png_bytes

from . import browser as B
from . import common as C
from . import i18n as I
from . import lessons, melody, share
from .gradio_seam import added_last
from .vae_map import (CHECKPOINT_2D, MAP_LIM, MAP_PX, _map_with, _model2d, decode_point, latent_map,  # noqa: F401
                      manifold, map_click)

MAIN_EVENT = "vae_grid"          # the tab's main named event (the conformance suite calls it, hostile values too)

CHECKPOINT = "vae-mnist"         # the digits' model; the picker's "emoji" draws with vae-emoji (C.shipped_name)
SLIDER = 3.0
MAX_GRID = 64
MAX_FRAMES = 32

LESSON = r"""
**How it works.** An encoder maps a digit $x$ to a Gaussian $q(z\mid x)=\mathcal N(\mu,\sigma^2)$ over latents;
a decoder maps $z$ back to pixels. Training maximises the evidence lower bound
$\text{ELBO} = \mathbb E_{q(z\mid x)}[\log p(x\mid z)] - \beta\,\mathrm{KL}(q(z\mid x)\,\|\,\mathcal N(0,I))$.

**The KL term** pulls every posterior toward the prior $\mathcal N(0, I)$, so the latent space has few holes:
most $z$ you pick decode to something digit-like. Few, not none: the encoded digits do not fill
$\mathcal N(0, I)$ evenly, and prior draws that land between them decode to blurred non-digits. The sample
grid's *Prior* switch compares $\mathcal N(0, I)$ with a mixture of Gaussians fitted to where the training
digits were encoded (the same decoder; FID 378 → 98 on 1,000 samples). **Why blurrier than a GAN?** The decoder is trained to
reconstruct under pixel-wise likelihood, so when it is unsure it predicts the *average* of the plausible
digits — a blur — while a GAN's discriminator punishes anything that does not look real.

**Try this:** ① Click around the latent map: neighbouring points decode to similar digits; the borders
between colours are where a 4 turns into a 9. ② Draw a digit, press *Encode*, then *Resample ε* a few times:
that wobble is the posterior's spread σ. ③ Move one slider at a time: most dimensions change one aspect
(slant, width, thickness) of the digit.
"""


def _model(world="digits"):
    return C.image_model("vae", world)


def _class(model, label):
    """The class a conditional model (the emoji VAE: an emoji group) decodes with; None for an unconditional one."""
    return C.number(label, "Class", 0, model.num_classes - 1, integer=True) if model.num_classes else None


def _classes(world, num_classes: int) -> list[tuple[str, str]]:
    return C.class_choices(world, num_classes, any_class=False)


@C.engine_errors
def render(*z_model_class):
    """The slider vector z → the decoded picture (the decoder's mean image); after the sliders, the model
    picker's value and the class (the emoji VAE is conditional on the emoji group), digits when left out."""
    z, (world, label) = C.split_tail(z_model_class, _n_sliders(), ("digits", "0"), "latent values")
    model = _model(world)
    vals = [C.number(v, f"z[{i}]", -SLIDER, SLIDER) for i, v in enumerate(z)]
    y = _class(model, label)
    return C.grid_image(model.decode(torch.tensor([_fit(vals, model.config.latent_dim)]),
                                     labels=None if y is None else [y]), scale=8)


@C.engine_errors
def browser_state(world="digits", label="0"):
    """Tells the page whether it may decode the sliders itself (the shipped decoder's ONNX file) or must ask the
    server (this session explores its own trained VAE, which has no ONNX file), and the class it decodes with."""
    model = _model(world)
    return {"server": model is C.explored("vae", "image"), "classes": model.num_classes,
            "label": _class(model, label), "dims": model.config.latent_dim}


def _n_sliders() -> int:
    """The tab has one slider per latent dimension of the shipped digits' model (the emoji one, with fewer, hides
    the rest)."""
    return C.pretrained(CHECKPOINT).config.latent_dim


def _fit(vals: list, d: int) -> list:
    """Slider values for a model with d latent dimensions (a session's own VAE may have more or fewer)."""
    return (list(vals) + [0.0] * d)[:d]


@C.engine_errors
def random_latent(seed, world="digits"):
    """A seed → a draw from the prior, written into the sliders (clipped to their range)."""
    model = _model(world)
    z = model.draw_latents(1, make_generator(C.seed(seed), model.device))[0].clamp(-SLIDER, SLIDER)
    return _fit([round(float(v), 2) for v in z], _n_sliders())


PRIOR_CHOICES = [("fitted to the encoded digits", "fitted"), ("N(0, I)", "normal")]
SOURCES = ["held-out example", "my drawing"]


@C.engine_errors
def grid(seed, n, temperature, prior="fitted", world="digits", label=None):
    """n samples from the prior; a conditional model's of the class `label` (None: each its own random class)."""
    model = _model(world)
    s, n = C.seed(seed), C.number(n, "Samples", 1, MAX_GRID, integer=True)
    t = C.number(temperature, "Temperature", 0, 2)
    prior = C.choice(prior, "Prior", [v for _, v in PRIOR_CHOICES])
    y = None if label is None else _class(model, label)
    return C.grid_image(model.sample(n, generator=make_generator(s, model.device), temperature=t, prior=prior,
                                     labels=y), scale=3)


def api_grid(seed, n, temperature, world="digits"):
    """vae_grid: the fitted prior (the tab's Prior switch stays off the API), every class of a conditional model."""
    return grid(seed, n, temperature, "fitted", world)


def api_png(seed, n, temperature, world="digits"):
    return grid_png(seed, n, temperature, "fitted", world)


# ----------------------------------------------------------------------------- drawings
def sketch_to_digit(value) -> torch.Tensor:
    """A Sketchpad value → a 28×28 digit like MNIST's: ink cropped, scaled to 20 px, centred by mass."""
    from PIL import Image

    if value is None:
        raise I.error("Draw a digit first.")
    if isinstance(value, dict):
        arr = value.get("composite")
        if arr is None and value.get("layers"):
            arr = value["layers"][-1]
    else:
        arr = value
    if arr is None:
        raise I.error("Draw a digit first.")
    a = np.asarray(arr)
    if a.ndim not in (2, 3) or a.size == 0 or a.shape[0] > 4096 or a.shape[1] > 4096:
        raise I.error("The drawing has an unexpected format.")
    a = a.astype(np.float32)
    if a.ndim == 2:
        ink = 1 - a / 255.0 if a.mean() > 127 else a / 255.0
    elif a.shape[2] == 4:                              # strokes on a transparent layer
        lum = a[..., :3].mean(2) / 255.0
        alpha = a[..., 3] / 255.0
        ink = alpha * (1 - lum) if (alpha > 0.5).mean() < 0.9 else 1 - lum
    else:
        lum = a[..., :3].mean(2) / 255.0
        ink = 1 - lum if lum.mean() > 0.5 else lum
    mask = ink > 0.15
    if mask.sum() < 5:
        raise I.error("The canvas is empty: draw a digit (a single stroke is enough), then press Encode.")
    ys, xs = np.where(mask)
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    s = 20.0 / max(h, w)
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(
        (max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR), dtype=np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    hh, ww = small.shape
    cy, cx = np.array(np.nonzero(small > 0.05)).mean(1) if (small > 0.05).any() else (hh / 2, ww / 2)
    y0 = int(round(14 - cy))
    x0 = int(round(14 - cx))
    y0, x0 = min(max(y0, 0), 28 - hh), min(max(x0, 0), 28 - ww)
    out[y0:y0 + hh, x0:x0 + ww] = small
    return torch.from_numpy(np.clip(out, 0, 1))[None, None]


@C.engine_errors
def encode_drawing(sketch, resample_seed=None):
    """Drawing → its reconstruction (by vae-mnist), μ ± σ, and its position on the 2D map."""
    x = sketch_to_digit(sketch)
    model = _model()
    g = None if resample_seed is None else make_generator(C.seed(resample_seed), model.device)
    recon = model.reconstruct(x, generator=g)
    mu, logvar = model.posterior(x)
    sd = (0.5 * logvar).exp()[0]
    z2 = _model2d().posterior(x)
    mu2, sd2 = z2[0][0], (0.5 * z2[1]).exp()[0]
    pair = torch.cat([x, recon])
    spread = ", ".join(f"{m:+.2f}±{s:.2f}" for m, s in zip(mu[0].tolist(), sd.tolist()))
    text = (f"**On the 2D map:** z = ({mu2[0]:+.2f} ± {sd2[0]:.2f}, {mu2[1]:+.2f} ± {sd2[1]:.2f})  \n"
            f"**Posterior of vae-mnist (μ ± σ per dimension):** {spread}")
    marker = (float(mu2[0].clamp(-MAP_LIM, MAP_LIM)), float(mu2[1].clamp(-MAP_LIM, MAP_LIM)), (0, 0, 0))
    return C.grid_image(pair, nrow=2, scale=6), text, _map_with([marker])


def resample(sketch):
    """Draw a fresh ε: z = μ + σ·ε shows the stochastic part of the encoding."""
    return encode_drawing(sketch, random.randint(0, 2**31 - 1))[0]


# ----------------------------------------------------------------------------- interpolation
@functools.lru_cache(maxsize=2)
def _heldout(dataset: str):
    from generators.data import load_dataset

    return load_dataset(dataset, "heldout")


def _example(label, world="digits") -> tuple[torch.Tensor, int]:
    """The first held-out image of class `label` (a digit, or an emoji group) and its class."""
    d = _heldout(C.WORLDS[C.world(world)])
    k = C.number(label, "Class", 0, d.num_classes - 1, integer=True)
    return d.x[d.y == k][:1], k


def _end(world, source, label, sketch):
    """One end of an interpolation: (image, class) of a held-out example, or (a drawing, None) for digits."""
    C.choice(source, "Source", SOURCES)
    if source == "held-out example":
        return _example(label, world)
    if world != "digits":
        raise I.error("Drawings are digits: for emoji, interpolate between held-out examples.")
    return sketch_to_digit(sketch), None


@C.engine_errors
def interpolate(source_a, class_a, sketch_a, source_b, class_b, sketch_b, frames, world="digits"):
    """Linear path between the posterior means of two pictures (held-out examples or drawings); a conditional
    model's class moves along too (its one-hot code blended from one end's to the other's)."""
    model = _model(world)
    k = C.number(frames, "Frames", 2, MAX_FRAMES, integer=True)
    (xa, ya), (xb, yb) = _end(world, source_a, class_a, sketch_a), _end(world, source_b, class_b, sketch_b)
    if not model.num_classes:
        ya = yb = None
    za = model.encode(xa, None if ya is None else [ya])[0]
    zb = model.encode(xb, None if yb is None else [yb])[0]
    t = torch.linspace(0, 1, k, device=za.device)[:, None]
    z = (1 - t) * za + t * zb                                             # (k, D)
    if ya is None:
        imgs = model.decode(z)
    else:                                                                 # the class moves along: (k, classes)
        ends = torch.nn.functional.one_hot(torch.tensor([ya, yb], device=z.device), model.num_classes).float()
        with torch.no_grad():
            imgs = model.decoder_output(z, (1 - t) * ends[0] + t * ends[1])
    strip = C.grid_image(imgs, nrow=k, scale=3)
    frames_ = [C.grid_image(imgs[i:i + 1], scale=6) for i in range(k)]
    gif = C.temp_file(gif_bytes(frames_ + frames_[::-1][1:-1], duration_ms=90),
                      f"{C.shipped_name('vae', world)}_interp_{k}frames.gif")
    return strip, gif


def grid_png(seed, n, temperature, prior="fitted", world="digits", label=None):
    img = grid(seed, n, temperature, prior, world, label)   # validates; the name below uses the validated values
    name = f"{C.shipped_name('vae', world)}_seed{C.seed(seed)}_t{C.number(temperature, 'Temperature', 0, 2):g}"
    y = None if label is None else _class(_model(world), label)
    return C.temp_file(png_bytes(img), f"{name}{'' if y is None else f'_class-{y}'}"
                                       f"{'_normal' if prior == 'normal' else ''}.png")


@C.engine_errors
def picked(world, label, class_a, class_b):
    """The model picker chose `world`: its class picker (the emoji groups; none for the digits' unconditional
    VAE), the interpolation's classes, drawing (digits only) shown or not, and the decoder the page runs."""
    model, held = _model(world), _heldout(C.WORLDS[C.world(world)]).num_classes
    own, ends = _classes(world, model.num_classes), _classes(world, held)
    label_box = gr.update(choices=I.choices(own), value=C.kept(label, own), visible=True) if own else \
        gr.update(visible=False)
    digits = world == "digits"
    return (label_box, B.indicator_html("vae", C.shipped_name("vae", world)),
            *[gr.update(choices=I.choices(ends), value=C.kept(v, ends)) for v in (class_a, class_b)],
            gr.update(visible=digits), gr.update(visible=not digits), gr.update(visible=digits),
            *[gr.update(visible=i < model.config.latent_dim) for i in range(_n_sliders())])   # its z's sliders only


# Redrawn when the tab is opened: the Train tab may have sent this session's model here (or taken it back).
ON_SELECT = (render, browser_state)
SERVER_DREW = ("vae",)


# ----------------------------------------------------------------------------- the Train tab's view
@functools.lru_cache(maxsize=1)
def _heldout_digits(n: int = 500):
    from generators.data import load_dataset

    d = load_dataset("mnist", "heldout")
    idx = torch.arange(0, len(d), max(1, len(d) // n))[:n]
    return d.x[idx], d.y[idx]


def train_figure(r):
    """The Train tab's live view of a VAE on images (else None): held-out digits encoded (μ; first two principal axes when the latent has more than two dimensions),
    coloured by class, beside a row of digits and their reconstructions."""
    from matplotlib.figure import Figure

    if r.dataset is None or r.dataset.kind != "image" or r.dataset.x is None:
        return None
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
    return I.localize_figure(fig)


def build() -> list:
    model = _model()
    d = model.config.latent_dim
    with gr.Row():                                  # the picture first and large (first on a phone too)
        with gr.Column(scale=1, min_width=300):
            img = gr.Image(label="Decoded picture", elem_id="vae_img", format="png", height=360, width=360,
                           interactive=False)
            indicator = B.indicator("vae", CHECKPOINT, tuple(C.shipped_name("vae", w) for w in C.worlds("vae")))
            share.link_row("vae")
        with gr.Column(scale=2):
            world = C.model_picker("vae", "vae_model")
            with gr.Row(equal_height=True):
                seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="vae_seed", min_width=110)
                dice = gr.Button("🎲", elem_id="vae_dice", scale=0, min_width=50)
                # the emoji VAE is conditional: the group it decodes (the digits' VAE has no classes: hidden)
                label = added_last(gr.Dropdown(_classes("emoji", len(C.CLASS_NAMES["emoji"])), value="0",
                                               label="Emoji group", elem_id="vae_label", visible=False, min_width=160))
                zero = gr.Button("Back to the prior mean (z = 0)", size="sm", elem_id="vae_zero", min_width=160)
            sliders = []
            with gr.Row():
                for half in (range(0, (d + 1) // 2), range((d + 1) // 2, d)):
                    with gr.Column(min_width=200):
                        sliders += [gr.Slider(-SLIDER, SLIDER, value=0.0, step=0.05, label=f"z[{i}]",
                                              elem_id=f"vz{i}") for i in half]
    # A drag is decoded by the page (onnxruntime-web); it presses the hidden button when it cannot (no WebAssembly).
    server_btn = gr.Button("render on the server", visible="hidden", elem_id="vae_server_render")
    state = gr.JSON(None, visible="hidden", elem_id="vae_browser_state")
    gr.on([s.input for s in sliders], None, [state, *sliders], None, js=B.drag_js("vae"), api_name=False, queue=False,
          trigger_mode="always_last")
    inputs, binputs = [*sliders, world, label], [world, label]
    C.api_signature(render, inputs, [*(f"vz{i}" for i in range(d)), "world", "label"])   # the link's names
    server_btn.click(C.fast(render, img), inputs, img, api_name="vae_render", **C.FAST,
                     api_description="The decoded picture (a PNG file) of the latent vz0…vz15 (each −3…3; the emoji "
                     "VAE reads vz0…vz7); world: digits or emoji; label: the emoji group (0–8) the emoji VAE draws.")
    B.server_drew(gr.on([dice.click], lambda: random.randint(0, 2**31 - 1), None, seed, api_name=False,
                        queue=False).then(random_latent, [seed, world], sliders, api_name=False, queue=False).then(
        render, inputs, img, api_name=False, **C.CHEAP), "vae")
    B.server_drew(seed.submit(random_latent, [seed, world], sliders, api_name="vae_random_latent", queue=False,
                              api_description="A draw from the prior for seed: 16 latent values (clipped to ±3, "
                              "zeros past the model's size), /vae_render's vz0…vz15.").then(
        render, inputs, img, api_name=False, **C.CHEAP), "vae")
    B.server_drew(zero.click(lambda: [0.0] * d, None, sliders, api_name=False, queue=False).then(
        render, inputs, img, api_name=False, **C.CHEAP), "vae")
    B.server_drew(label.input(render, inputs, img, api_name=False, **C.CHEAP).then(
        browser_state, binputs, state, api_name=False, **C.CHEAP), "vae")

    with gr.Accordion("The latent map (a 2-dimensional VAE): click anywhere to decode", open=True):
        with gr.Row():
            map_img = gr.Image(value=None, label="Held-out digits encoded, coloured by class (click me)",
                               elem_id="vae_map", interactive=False, format="png", height=MAP_PX, width=MAP_PX)
            with gr.Column():
                point_img = gr.Image(label="Decoded point", elem_id="vae_point", format="png", interactive=False,
                                     height=180, width=180)
                point_txt = gr.Markdown("Click the map.", elem_id="vae_point_text")
                manifold_img = gr.Image(label="Manifold: decoded digits over the same plane",
                                        elem_id="vae_manifold", format="png", interactive=False)
        gr.Markdown("This map is a 2-dimensional VAE of the digits (vae-mnist-2d): digits only, whichever model "
                    "is picked above.", elem_id="vae_map_note")
    map_img.select(map_click, None, [point_img, map_img, point_txt], api_name="vae_map_click", queue=False,
                   api_description="A click on the 2D latent map (its position comes with the page's click; an API "
                   "call has none and is refused) → the decoded digit (PNG file), the map with a marker, z.")

    draw_note = gr.Markdown("*Draw a digit* is for the digits' model: pick **digits** above to draw one.",
                            elem_id="vae_draw_note", visible=False)
    with gr.Accordion("Draw a digit", open=False) as draw_acc:
        with gr.Row():
            # layers=False: one drawing needs no layer panel (whose "Layer 1" Gradio does not translate)
            sketch = gr.Sketchpad(label="Draw a digit (big, centred)", elem_id="vae_sketch", height=300, width=300,
                                  type="numpy", layers=False)
            with gr.Column():
                pair = gr.Image(label="Your drawing (28×28) → its reconstruction", elem_id="vae_recon",
                                format="png", interactive=False)
                with gr.Row():
                    enc_btn = gr.Button("Encode", elem_id="vae_encode")
                    eps_btn = gr.Button("Resample ε", elem_id="vae_resample")
                post_txt = gr.Markdown(elem_id="vae_posterior")
    C.api_signature(encode_drawing, [sketch])       # an empty canvas defaults to None: a clear error, not a TypeError
    C.api_signature(resample, [sketch])
    enc_btn.click(encode_drawing, sketch, [pair, post_txt, map_img], api_name="vae_encode", queue=False,
                  api_description="A drawing of a digit (an image) → its 28×28 version beside the reconstruction (PNG "
                  "file), the posterior μ ± σ (Markdown) and the 2D latent map with its place marked.")
    eps_btn.click(resample, sketch, pair, api_name="vae_resample", queue=False,
                  api_description="A drawing of a digit (an image) → its 28×28 version beside a reconstruction with a "
                  "fresh ε (PNG file).")

    with gr.Accordion("Sample grid", open=False):
        with gr.Row():
            n = gr.Slider(1, MAX_GRID, value=16, step=1, label="Samples", elem_id="vae_n")
            temp = gr.Slider(0, 2, value=1.0, step=0.05, label="Prior temperature", elem_id="vae_temp")
            prior = gr.Radio(PRIOR_CHOICES, value="fitted", label="Prior", elem_id="vae_prior")
            grid_btn = gr.Button("Sample", elem_id="vae_grid_btn")
            png_btn = gr.Button("Download PNG", elem_id="vae_png_btn")
        grid_img = gr.Image(label="Samples from the prior", elem_id="vae_grid", format="png", interactive=False)
        grid_file = C.download_box("PNG", "vae_png")
    ginputs = [seed, n, temp, prior, world, label]
    gr.on([grid_btn.click, n.release, temp.release, prior.change, label.input], grid, ginputs, grid_img,
          api_name=False, **C.CHEAP)
    C.reveal(png_btn.click(grid_png, ginputs, grid_file, api_name=False, queue=False), grid_file)
    # the named events keep their first three parameters (seed, n, temperature; the fitted prior), then the
    # model picker's: hidden triggers
    hidden_grid, hidden_png = gr.Button(visible=False), gr.Button(visible=False)
    hidden_grid.click(api_grid, [seed, n, temp, world], grid_img, api_name="vae_grid", **C.CHEAP,
                      api_description="A grid of n samples (a PNG file) from the fitted prior at temperature, for "
                      "seed; world: digits or emoji (every emoji group in turn).")
    hidden_png.click(api_png, [seed, n, temp, world], grid_file, api_name="vae_png", queue=False,
                     api_description="The grid of /vae_grid as a PNG file to keep, named after its settings.")

    with gr.Accordion("Interpolate between two digits", open=False):
        classes = _classes("digits", 10)
        with gr.Row():
            src_a = gr.Radio(SOURCES, value="held-out example", label="From", elem_id="vae_src_a")
            cls_a = gr.Dropdown(classes, value="1", label="class", elem_id="vae_cls_a")
            src_b = gr.Radio(SOURCES, value="held-out example", label="To", elem_id="vae_src_b")
            cls_b = gr.Dropdown(classes, value="7", label="class", elem_id="vae_cls_b")
            frames = gr.Slider(2, MAX_FRAMES, value=10, step=1, label="Frames", elem_id="vae_frames")
        with gr.Row():
            sketch_b = gr.Sketchpad(label="Second drawing (for 'my drawing' as To)", elem_id="vae_sketch_b",
                                    height=200, width=200, type="numpy", layers=False)
            interp_btn = gr.Button("Interpolate", elem_id="vae_interp_btn")
        strip = gr.Image(label="Interpolation", elem_id="vae_strip", format="png", interactive=False)
        gif = C.download_box("GIF", "vae_gif")
    iinputs = [src_a, cls_a, sketch, src_b, cls_b, sketch_b, frames, world]
    C.api_signature(interpolate, iinputs)           # the drawings default to None: only "my drawing" needs one
    C.reveal(interp_btn.click(interpolate, iinputs, [strip, gif], api_name="vae_interpolate", queue=False,
                              api_description="A straight path in latent space between two pictures (source: a "
                              "held-out example of class_a / class_b, or a drawing) in `frames` steps: a strip (PNG "
                              "file) and a looping GIF file."), gif)

    picked_io = (picked, [world, label, cls_a, cls_b],
                 [label, indicator, cls_a, cls_b, draw_acc, draw_note, sketch_b, *sliders])
    switch = world.input(*picked_io, api_name=False, **C.CHEAP)       # then the pictures that depend on the model
    B.server_drew(switch.then(render, inputs, img, api_name=False, **C.CHEAP).then(
        browser_state, binputs, state, api_name=False, **C.CHEAP), "vae")
    switch.then(grid, ginputs, grid_img, api_name=False, **C.CHEAP)

    melody.build_vae()

    with gr.Accordion("How it works", open=False):
        gr.Markdown(LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.vae(), elem_id="vae_diagram")

    share.register("vae", [*[(f"vz{i}", s, share.number(f"vz{i}", -SLIDER, SLIDER)) for i, s in enumerate(sliders)],
                           ("seed", seed, C.seed), ("n", n, share.number("Samples", 1, MAX_GRID, True)),
                           ("temp", temp, share.number("Temperature", 0, 2)),
                           ("label", label, share.choice("Class", [v for _, v in label.choices])),
                           ("model", world, C.world)])
    return [picked_io, (render, inputs, img), (browser_state, binputs, state), (latent_map, None, map_img),
            (manifold, None, manifold_img)]
