"""The Autoregressive tab: generate names, step through one character at a time, score any name."""
from __future__ import annotations

import html
import random

import gradio as gr
import pandas as pd

from generators.base import make_generator

from . import common as C
from . import lessons, share

MAIN_EVENT = "autoregressive_sample"          # the tab's main named event (the conformance suite calls it, hostile values too)

CHECKPOINT = "autoregressive-names"
MAX_N = 64
MAX_TEMP = 2.0

LESSON = r"""
**How it works.** The chain rule of probability writes any name as a product of next-character choices:
$p(\text{name}) = \prod_t p(x_t \mid x_{<t})$, with a special end token. A small Transformer (causal
self-attention: each position may only look left) predicts each next character; sampling draws one, appends it,
and asks again. The *KV cache* keeps the keys and values of earlier characters, so each step costs the same.

**Temperature** divides the logits before the softmax: $p_i \propto e^{z_i / T}$. Low $T$ sharpens the
distribution (safe, common names; $T = 0$ always takes the most likely character), high $T$ flattens it (odd,
novel names). **Top-k** keeps only the k likeliest characters; **top-p** keeps the smallest set holding mass p.

**Try this:** ① Set temperature to 0.1: the same few names come back, almost all in the training data. Raise it
to 1.5: most are new, some unpronounceable. ② Step through with prefix "ja": watch the bars after each
character; click a low-probability letter to force it. ③ Score your own name, then a keyboard mash: the colours
show which letters surprised the model.
"""


def _model():
    return C.model_for("autoregressive", "text", CHECKPOINT)


def _options(temperature, top_k, top_p):
    model = _model()
    t = C.number(temperature, "Temperature", 0, MAX_TEMP)
    k = C.number(top_k, "Top-k", 0, len(model.config.vocab) + 1, integer=True)
    p = C.number(top_p, "Top-p", 0.01, 1.0)
    return t, k, p


def _prefix(prefix) -> str:
    p = C.text(prefix, "Prefix", 20).strip().lower()
    bad = sorted({ch for ch in p if ch not in _model().stoi})
    if bad:
        raise gr.Error(f"The prefix may only use letters a–z (got {''.join(bad)!r}).")
    return p


@C.engine_errors
def generate(seed, temperature, top_k, top_p, prefix, n):
    """N names from the model, each marked new or in the training data."""
    model = _model()
    s, (t, k, p) = C.seed(seed), _options(temperature, top_k, top_p)
    n = C.number(n, "N", 1, MAX_N, integer=True)
    names = model.sample(n, generator=make_generator(s, model.device), temperature=t, top_k=k, top_p=p,
                         prefix=_prefix(prefix))
    known = model.training_items()
    rows = "".join(f"<li><b>{html.escape(x) or '∅'}</b> <span class='{'ar-known' if x in known else 'ar-new'}'>"
                   f"{'in training data' if x in known else 'new'}</span></li>" for x in names)
    new = sum(x not in known for x in names)
    return (f"<div class='ar-names'><p>{new} of {n} are new</p><ol>{rows}</ol></div>"
            "<style>.ar-names ol{columns:3;font-size:1.05em}.ar-new{color:#15803d;font-size:.8em}"
            ".ar-known{color:#6b7280;font-size:.8em}</style>")


# ----------------------------------------------------------------------------- step through
def _bars(prefix: str, t, k, p):
    model = _model()
    raw, cut = model.next_distribution(prefix, temperature=t, top_k=k, top_p=p)
    chars = ["⏎ end"] + list(model.config.vocab)
    top = raw.argsort(descending=True)[:10].tolist()
    df = pd.DataFrame({"character": [chars[i] for i in top] * 2,
                       "probability": [float(raw[i]) for i in top] + [float(cut[i]) for i in top],
                       "distribution": ["model"] * len(top) + ["after temperature / top-k / top-p"] * len(top)})
    return df, [chars[i] for i in top]


@C.engine_errors
def step_start(prefix, temperature, top_k, top_p):
    """Begin a step-through at the prefix: show the next-character bars."""
    pre = _prefix(prefix)
    df, choices = _bars(pre, *_options(temperature, top_k, top_p))
    return pre, df, gr.update(choices=choices, value=None), _word_html(pre, False)


@C.engine_errors
def step_sample(text, seed, temperature, top_k, top_p):
    """Let the model draw the next character (from the cut distribution)."""
    import torch

    model = _model()
    text = _prefix(text)
    t, k, p = _options(temperature, top_k, top_p)
    if len(text) >= model.config.block_size - 1:
        raise gr.Error("The name is as long as the model allows.")
    _, cut = model.next_distribution(text, temperature=t, top_k=k, top_p=p)
    g = make_generator(C.seed(seed) + len(text), model.device)
    i = int(cut.argmax()) if t == 0 else int(torch.multinomial(cut, 1, generator=g))
    return _advance(text, i, t, k, p)


@C.engine_errors
def step_force(text, choice, temperature, top_k, top_p):
    """The user clicked a character: append it, whatever its probability."""
    model = _model()
    text = _prefix(text)
    t, k, p = _options(temperature, top_k, top_p)
    chars = ["⏎ end"] + list(model.config.vocab)
    if choice not in chars:
        raise gr.Error("Pick one of the characters shown.")
    return _advance(text, chars.index(choice), t, k, p)


def _advance(text, i, t, k, p):
    model = _model()
    if i == 0:
        df, choices = _bars(text, t, k, p)
        return text, df, gr.update(choices=choices, value=None), _word_html(text, True)
    text = text + model.config.vocab[i - 1]
    df, choices = _bars(text, t, k, p)
    return text, df, gr.update(choices=choices, value=None), _word_html(text, False)


def _word_html(text: str, ended: bool) -> str:
    state = "— the model chose to end here" if ended else "…"
    return f"<p style='font-size:2em;letter-spacing:.1em'><b>{html.escape(text) or '&nbsp;'}</b>{state}</p>"


# ----------------------------------------------------------------------------- scoring
@C.engine_errors
def score(name):
    """Per-character surprise (−log p, nats) coloured over the letters, and the mean NLL."""
    model = _model()
    s = C.text(name, "Name", 30).strip().lower()
    if not s:
        raise gr.Error("Type a name to score.")
    bad = sorted({ch for ch in s if ch not in model.stoi})
    if bad:
        raise gr.Error(f"Only letters a–z can be scored (got {''.join(bad)!r}).")
    sur = model.surprise(s)
    spans = []
    for ch, v in zip(list(s) + ["⏎"], sur):
        a = min(1.0, v / 6.0)                                  # 6 nats ≈ very surprising
        spans.append(f"<span title='{v:.2f} nats' style='background:rgba(239,68,68,{a:.2f});padding:0 .15em;"
                     f"border-radius:3px'>{html.escape(ch)}</span>")
    mean = sum(sur) / len(sur)
    verdict = "very name-like" if mean < 1.8 else "plausible" if mean < 2.6 else "not very name-like"
    known = " (it is in the training data)" if s in model.training_items() else ""
    return (f"<p style='font-size:2em;font-family:monospace'>{''.join(spans)}</p>"
            f"<p>Mean surprise {mean:.2f} nats per character, total {sum(sur):.1f} nats: <b>{verdict}</b>{known}. "
            f"Hover a letter for its −log p.</p>")


def build() -> list:
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            with gr.Row():
                seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="ar_seed")
                dice = gr.Button("🎲", elem_id="ar_dice", scale=0, min_width=50)
            temp = gr.Slider(0, MAX_TEMP, value=1.0, step=0.05, label="Temperature", elem_id="ar_temperature")
            top_k = gr.Slider(0, 27, value=0, step=1, label="Top-k (0 = off)", elem_id="ar_top_k")
            top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p", elem_id="ar_top_p")
            prefix = gr.Textbox(value="", label="Prefix", max_length=20, elem_id="ar_prefix")
            n = gr.Slider(1, MAX_N, value=24, step=1, label="N", elem_id="ar_n")
        with gr.Column(scale=2):
            names = gr.HTML(elem_id="ar_names")
            share.link_row("autoregressive")
    inputs = [seed, temp, top_k, top_p, prefix, n]
    gr.on([temp.input, top_k.input, top_p.input, n.input, prefix.submit, seed.submit], C.fast(generate, names, thread=True),
          inputs, names, api_name="autoregressive_sample", **C.FAST)
    dice.click(lambda: random.randint(0, 2**31 - 1), None, seed, api_name=False, queue=False).then(
        generate, inputs, names, api_name=False, **C.CHEAP)

    with gr.Accordion("Step through: one character at a time", open=True):
        with gr.Row():
            start = gr.Button("Start from the prefix", elem_id="ar_step_start")
            sample_btn = gr.Button("Let the model choose", elem_id="ar_step_sample")
            choice = gr.Radio([], label="…or click a character to force it", elem_id="ar_step_choice")
        word = gr.HTML(elem_id="ar_step_word")
        text_state = gr.State("")
        bars = gr.BarPlot(x="character", y="probability", color="distribution", elem_id="ar_step_bars",
                          title="Next-character probabilities (top 10)", sort=None, height=260)
    opts = [temp, top_k, top_p]
    outs = [text_state, bars, choice, word]
    start.click(step_start, [prefix, *opts], outs, api_name="autoregressive_step_start", queue=False)
    sample_btn.click(step_sample, [text_state, seed, *opts], outs, api_name="autoregressive_step", queue=False)
    choice.input(step_force, [text_state, choice, *opts], outs, api_name="autoregressive_force", queue=False)

    with gr.Accordion("Score a name: how name-like is it?", open=True):
        with gr.Row():
            name_box = gr.Textbox(value="maria", label="Any name", max_length=30, elem_id="ar_score_input")
            score_btn = gr.Button("Score", elem_id="ar_score_btn")
        scored = gr.HTML(elem_id="ar_score")
    gr.on([score_btn.click, name_box.submit], score, name_box, scored, api_name="autoregressive_score",
          queue=False)

    with gr.Accordion("How it works", open=False):
        gr.Markdown(LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.autoregressive(), elem_id="ar_diagram")

    share.register("autoregressive", [("seed", seed, C.seed), ("temperature", temp, share.number("Temperature", 0, MAX_TEMP)),
                                      ("top_k", top_k, share.number("Top-k", 0, 27, True)),
                                      ("top_p", top_p, share.number("Top-p", 0.05, 1.0)), ("prefix", prefix, _prefix),
                                      ("n", n, share.number("N", 1, MAX_N, True))])
    return [(generate, inputs, names), (step_start, [prefix, *opts], outs), (score, name_box, scored)]
