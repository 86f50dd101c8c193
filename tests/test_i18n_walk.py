"""The Chinese page read as a Chinese class reads it (issue 33): every visible text node of every tab, with its
accordions opened, in a zh-CN and a zh-TW browser, holds no Latin word but those on LATIN_OK, a list you can read
with the reason for each. Figures (pictures, plots, SVG diagrams), code and equations are excluded: what they
show is checked elsewhere (test_i18n's figures, the page-translated diagrams). Shown values of dropdowns and
text boxes count as text: a choice's name is read, its value is the API's."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import open_tab, wait_until_idle

import app

CHECKPOINTS = {p.stem for p in (Path(app.__file__).parent / "checkpoints").glob("*.json")}
# Latin a Chinese page keeps, and why. Single letters are symbols (z, x, t, N, w, G, D …): always allowed.
LATIN_OK = {
    # the product, and Gradio's own footer ("通过 API 使用 · 使用 Gradio 构建")
    "Latent", "Lab", "API", "Gradio",
    # model families and methods, as Chinese textbooks write them
    "GAN", "GANSpace", "VAE", "ELBO", "KL", "DDPM", "DDIM", "UNet", "Transformer", "KV", "LSTM", "Euler", "Heun",
    "Adam", "softmax", "logit", "logits", "sigmoid", "Top-k", "top-k", "Top-p", "top-p", "dropout",
    "Härkönen",                                                   # a cited author
    # measures, named as in the literature
    "FID", "NLL", "MMD", "Inception",
    # data sets' and file formats' proper names; hardware
    "MNIST", "Twemoji", "PNG", "GIF", "CSV", "JSON", "ZIP", "ONNX", "WebAssembly", "GPU", "CPU", "ZeroGPU",
    "Hugging", "Face",
    # units
    "px", "ms", "kB", "MB", "GB",
    # what a reader types or reads aloud: the names corpus's example prefix, and the pinyin (the romanization
    # Chinese schools teach) that shows why 光, 霜 and 乡 rhyme
    "ja", "guang", "shuang", "xiang", "ang",
    # mathematical functions in formulas written as text
    "log", "exp",
    # the Wasserstein distance's namesake (WGAN-GP's loss)
    "Wasserstein",
    # the melodies: the folk-song collection's proper name, the models the melody views imitate (named as their
    # authors wrote them), and the solfège syllables Chinese music classes sing (唱名 do re mi sol la)
    "Essen", "MelodyRNN", "MusicVAE", "do", "re", "mi", "sol", "la",
}
PINYIN = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")          # a word with a tone mark is pinyin: 白 bái, 国 guó
LATIN_OK_FOLDED = {w.casefold() for w in LATIN_OK}             # EULER-25 in a caption is Euler
# a token: letters, digits, hyphens, apostrophes ("diffusion-8gaussians", "model's"); a word if it holds two letters
TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9][A-Za-zÀ-ÿ0-9'’-]*")
WORD = re.compile(r"[A-Za-zÀ-ÿ]{2}")
# model output in a Latin script is what the model made, not the page's text: the names a names model writes
OUTPUT = ".ar-names li > b, .ar-scored, #cmp_names, #ar_score_input, #ar_step_choice, #ar_step_text"

TEXT_NODES = """(skip) => {
  const out = [];
  const seen = (el) => {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none' && el.closest('[hidden]') === null;
  };
  const walker = document.createTreeWalker(document.querySelector('.gradio-container') || document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement, t = n.data.trim();
    if (!t || !el || el.closest('script, style, svg, canvas, img, code, pre, .katex, .math, [aria-hidden=true], ' + skip)) continue;
    if (seen(el)) out.push([t, el.closest('[id]')?.id || el.tagName]);
  }
  for (const el of document.querySelectorAll('input[type=text], input:not([type]), textarea')) {
    if (el.value && seen(el) && !el.closest(skip)) out.push([el.value, el.closest('[id]')?.id || 'input']);
  }
  return out;
}"""


def latin_words(text: str) -> list[str]:
    """The tokens of `text` with a Latin word in them that neither LATIN_OK nor a checkpoint's name allows; a
    number with a unit or a symbol (10 px, 3×, T = 1) is not a word, and parts of a hyphenated term are judged
    one by one ("Top-k" and "DDIM-50" are allowed, "held-out" is not)."""
    out = []
    for token in TOKEN.findall(text):
        token = token.strip("-'’")
        if not WORD.search(token) or token in CHECKPOINTS or token.casefold() in LATIN_OK_FOLDED or PINYIN.search(token):
            continue
        parts = [p for p in re.split(r"[-]", token) if WORD.search(p)]
        if any(p.casefold() not in LATIN_OK_FOLDED for p in parts):
            out.append(token)
    return out


@pytest.mark.parametrize("locale", ["zh-CN", "zh-TW"])
def test_no_unlisted_latin_word_on_the_chinese_page(browser, app_url, locale):
    from ui.i18n import translate

    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    found: dict[str, set[str]] = {}
    try:
        page.goto(app_url)
        for title, tab, _ in app.TABS:
            title = translate(title, locale == "zh-TW")
            open_tab(page, title)
            page.wait_for_function("(t) => document.querySelector('#tabs [role=tab][aria-selected=true]')"
                                   "?.textContent.trim() === t", arg=title)
            closed = page.locator("[role=tabpanel]:not([hidden]) button.label-wrap:not(.open)")
            while closed.count():                        # open every accordion; one may hold another
                closed.first.click()
            wait_until_idle(page)
            # the diagrams' and tables' texts are translated by the page's own script on the next frame
            page.wait_for_function("() => window.LatentLab.pageUntranslated() === 0")
            for text, where in page.evaluate(TEXT_NODES, OUTPUT):
                for word in latin_words(text):
                    found.setdefault(word, set()).add(f"{tab}#{where}: {text[:80]!r}")
    finally:
        ctx.close()
    assert not found, f"{len(found)} Latin words on the {locale} page, not on LATIN_OK:\n" + "\n".join(
        f"  {w}: {sorted(places)[:3]}" for w, places in sorted(found.items()))
