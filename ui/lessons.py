"""Labelled diagrams of each model for the tabs' "How it works" panels: small inline SVGs (no files, no network),
drawn in `currentColor` so they follow the light or dark theme."""
from __future__ import annotations

import html

# Box colours (translucent, readable on light and dark backgrounds).
DATA, NET, LATENT, OUT = "#3b82f6", "#f97316", "#a855f7", "#22c55e"


def _box(x, y, w, h, title, sub="", color=NET):
    t = html.escape(title)
    s = f"<text x='{x + w / 2}' y='{y + h / 2 + (-4 if sub else 5)}' text-anchor='middle' font-weight='600'>{t}</text>"
    if sub:
        s += (f"<text x='{x + w / 2}' y='{y + h / 2 + 14}' text-anchor='middle' font-size='11' opacity='.8'>"
              f"{html.escape(sub)}</text>")
    return (f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='8' fill='{color}' fill-opacity='.18' "
            f"stroke='{color}' stroke-width='1.5'/>" + s)


def _arrow(x1, y1, x2, y2, label="", dashed=False, dy=-6):
    dash = " stroke-dasharray='5 4'" if dashed else ""
    s = (f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='currentColor' stroke-width='1.5'"
         f" marker-end='url(#ll-arrow)'{dash}/>")
    if label:
        s += (f"<text x='{(x1 + x2) / 2}' y='{(y1 + y2) / 2 + dy}' text-anchor='middle' font-size='11'>"
              f"{html.escape(label)}</text>")
    return s


def _text(x, y, s, size=11, anchor="middle", italic=False):
    style = " font-style='italic'" if italic else ""
    return f"<text x='{x}' y='{y}' text-anchor='{anchor}' font-size='{size}'{style}>{html.escape(s)}</text>"


def _svg(w, h, body, title):
    return (f"<figure class='ll-diagram' data-model='{html.escape(title)}'>"
            f"<svg viewBox='0 0 {w} {h}' role='img' aria-label='{html.escape(title)}' "
            "xmlns='http://www.w3.org/2000/svg' font-family='system-ui, sans-serif' font-size='13' "
            f"fill='currentColor' style='width:100%;max-width:{w}px;height:auto;color:var(--body-text-color, #222)'>"
            "<defs><marker id='ll-arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='currentColor'/></marker></defs>"
            f"{body}</svg><figcaption>{html.escape(title)}</figcaption></figure>")


def gan() -> str:
    b = (_box(10, 20, 110, 50, "noise z", "z ~ N(0, I)", LATENT) + _box(10, 95, 110, 40, "class y", "0–9", LATENT)
         + _box(170, 40, 130, 70, "Generator G", "ConvTranspose ×3", NET)
         + _box(350, 40, 110, 50, "fake x̃", "= G(z, y)", OUT)
         + _box(350, 150, 110, 50, "real digit x", "from MNIST", DATA)
         + _box(510, 85, 140, 70, "Discriminator D", "Conv ×3 → logit", NET)
         + _box(700, 95, 110, 50, "D(x) ∈ (0, 1)", "real or fake?", OUT)
         + _arrow(120, 45, 168, 65) + _arrow(120, 115, 168, 95) + _arrow(300, 65, 348, 65)
         + _arrow(460, 65, 508, 105) + _arrow(460, 175, 508, 135) + _arrow(650, 120, 698, 120)
         + f"<path d='M755,95 C755,35 235,30 235,38' fill='none' stroke='currentColor' stroke-width='1.2' "
           "stroke-dasharray='5 4' marker-end='url(#ll-arrow)'/>"
         + _text(495, 18, "G's update: gradients through D push x̃ toward “real”", italic=True)
         + _text(580, 200, "D's update: push D(real) ↑ and D(fake) ↓", italic=True))
    return _svg(820, 215, b, "GAN: a generator and a discriminator trained against each other")


def vae() -> str:
    b = (_box(10, 60, 90, 50, "digit x", "28×28", DATA) + _box(140, 50, 130, 70, "Encoder", "q(z | x)", NET)
         + _box(310, 30, 90, 40, "μ", "mean", LATENT) + _box(310, 100, 90, 40, "σ", "spread", LATENT)
         + _box(440, 60, 130, 50, "z = μ + σ·ε", "ε ~ N(0, I)", LATENT)
         + _box(610, 50, 130, 70, "Decoder", "p(x | z)", NET) + _box(780, 60, 90, 50, "x̂", "reconstruction", OUT)
         + _arrow(100, 85, 138, 85) + _arrow(270, 75, 308, 50) + _arrow(270, 95, 308, 120)
         + _arrow(400, 50, 438, 78) + _arrow(400, 120, 438, 95) + _arrow(570, 85, 608, 85) + _arrow(740, 85, 778, 85)
         + _text(355, 165, "KL(q(z|x) ‖ N(0, I)): keeps the latent space without holes", italic=True)
         + _text(445, 20, "reconstruction term: log p(x | z) — how well x̂ matches x", italic=True)
         + _text(675, 150, "sliders / latent map set z directly", size=11))
    return _svg(880, 180, b, "VAE: encode to a Gaussian, sample z, decode")


def diffusion() -> str:
    xs = [20, 180, 340, 520, 680]
    names = [("x₀", "digit"), ("x₁", "a little noise"), ("x_t", "half noise"), ("x_{T−1}", ""), ("x_T", "pure noise")]
    cols = [DATA, LATENT, LATENT, LATENT, LATENT]
    b = "".join(_box(x, 60, 110, 50, n, s, c) for x, (n, s), c in zip(xs, names, cols))
    for a, c in zip(xs, xs[1:]):
        b += _arrow(a + 110, 75, c - 2, 75)
        b += f"<line x1='{c}' y1='98' x2='{a + 112}' y2='98' stroke='{NET}' stroke-width='2' marker-end='url(#ll-arrow)'/>"
    b += _text(485, 88, "…", size=20)
    b += _box(300, 150, 220, 50, "UNet ε_θ(x_t, t, y)", "predicts the added noise", NET)
    b += _arrow(410, 148, 410, 112)
    b += _text(400, 40, "black →  forward process q(x_t | x₀) = N(√ᾱ_t x₀, (1 − ᾱ_t) I): fixed, no learning", italic=True)
    b += _text(400, 222, "orange ←  reverse process: x_{t−1} from x_t and the UNet's predicted noise", italic=True)
    b += _text(400, 240, "DDIM skips steps; guidance w mixes the predictions with and without the class y", italic=True)
    return _svg(810, 250, b, "Diffusion: add noise step by step, learn to remove it")


def autoregressive() -> str:
    chars = ["⟨start⟩", "m", "a", "r"]
    b = "".join(_box(10 + 75 * i, 110, 65, 40, c, "", DATA) for i, c in enumerate(chars))
    b += _box(10, 20, 290, 55, "Transformer (causal self-attention)", "each position looks only left", NET)
    b += "".join(_arrow(42 + 75 * i, 108, 42 + 75 * i, 78) for i in range(4))
    b += _box(360, 20, 170, 55, "p(next | m a r)", "softmax(logits / T)", OUT)
    b += _arrow(300, 47, 358, 47)
    bars = [("i", 46), ("y", 30), ("c", 18), ("⏎", 10), ("k", 6)]
    for i, (c, v) in enumerate(bars):
        b += (f"<rect x='{570 + 28 * i}' y='{75 - v}' width='20' height='{v}' fill='{OUT}' fill-opacity='.7'/>"
              + _text(580 + 28 * i, 92, c))
    b += _text(640, 15, "top-k / top-p cut the tail", italic=True)
    b += _box(560, 110, 150, 40, "sample → “i”", "", LATENT)
    b += _arrow(640, 96, 640, 108)
    b += f"<path d='M560,130 C480,180 340,175 318,152' fill='none' stroke='currentColor' stroke-width='1.2' " \
         "stroke-dasharray='5 4' marker-end='url(#ll-arrow)'/>"
    b += _text(450, 188, "append it and ask again, until ⏎ (end)", italic=True)
    return _svg(730, 200, b, "Autoregressive: one character at a time")


def train() -> str:
    b = (_box(10, 50, 120, 50, "a batch", "of your data", DATA) + _box(180, 40, 160, 70, "train_step", "loss → ∇ → optimizer", NET)
         + _box(390, 10, 160, 45, "loss curves", "every step", OUT) + _box(390, 95, 160, 45, "samples", "fixed noise, every N", OUT)
         + _arrow(130, 75, 178, 75) + _arrow(340, 60, 388, 35) + _arrow(340, 90, 388, 115)
         + f"<path d='M260,110 C260,170 60,170 70,102' fill='none' stroke='currentColor' stroke-width='1.2' "
           "stroke-dasharray='5 4' marker-end='url(#ll-arrow)'/>" + _text(165, 168, "repeat: θ ← θ − η ∇L(θ)", italic=True))
    return _svg(560, 180, b, "Training: the same loop for every family")


def compare(titles) -> str:
    """The same seed through the image families (`titles`, three drawn) into one feature network."""
    titles = list(titles)[:3]
    b = (_box(10, 60, 110, 50, "same seed", "and class", LATENT)
         + "".join(_box(170, 10 + 55 * i, 120, 45, n, "", NET) for i, n in enumerate(titles))
         + _box(340, 55, 150, 60, "feature network", "MNIST classifier", NET)
         + _box(540, 30, 170, 45, "FID, precision/recall", "vs held-out digits", OUT)
         + _box(540, 95, 170, 45, "class accuracy", "did it draw the asked digit?", OUT)
         + "".join(_arrow(120, 85, 168, 32 + 55 * i) for i in range(len(titles)))
         + "".join(_arrow(290, 32 + 55 * i, 338, 85) for i in range(len(titles)))
         + _arrow(490, 75, 538, 52) + _arrow(490, 95, 538, 117))
    return _svg(720, 175, b, "Compare: one yardstick for every family")


TRAIN_LESSON = r"""
**How it works.** Every family trains with the same loop: draw a batch, compute the family's loss $L(\theta)$
(GAN: the two players' losses; VAE: $-$ELBO; diffusion: $\lVert\varepsilon - \varepsilon_\theta\rVert^2$;
autoregressive: the next-character cross-entropy), and step the weights down its gradient,
$\theta \leftarrow \theta - \eta\,\nabla_\theta L$ (Adam adapts $\eta$ per weight).

**Try this:** ① GAN on *8gaussians*, press Start: the orange points find the eight modes one by one; watch the
red/blue decision map chase them. ② Stop, set the learning rate to 0.01 and start again: compare the new curve
with the grey one. ③ VAE on *mnist* with latent size 2, then *Download timelapse GIF*: the samples sharpen.
"""

COMPARE_LESSON = r"""
**How it works.** Pictures are compared in the feature space of a small MNIST classifier shipped with the app
(in place of Inception). **FID** fits a Gaussian to real and to generated features and measures the distance,
$\text{FID} = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{Tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$
(lower is better). **Precision**: how many samples look like some real digit; **recall**: how many real digits
some sample looks like. Names are scored by held-out negative log-likelihood per character.

**Try this:** ① Same seed, class 7, through every family: which is sharpest, which most varied? ② Compute
the table with 200 then 1,000 samples: FID falls as the sample count grows — compare only like with like.
③ Draw the mode-collapse histogram: a flat histogram means every digit is drawn equally often.
"""
