"""Simplified Chinese beside English, through Gradio's `gr.I18n`: the page follows the browser's language.

The UI modules keep writing English. After the demo is built, `localize(demo)` turns every label, info text,
placeholder, tab/accordion title, button text and Markdown text that the catalog (ui/i18n/zh_CN.py) translates
into a `gr.I18n` key, and so does the shown name of each Radio/Dropdown choice (its value, which events send,
stays English); the frontend then shows the browser's language (English when it is not Chinese).

Keys: a short text is its own key (the English itself: readable, and the English fallback is exact); a long
text (lessons, the header) has a name ("lesson.gan") and its English is read from the module that owns it
(LONG_SOURCES). Keys never contain "}" (Gradio's frontend ends a key at the first "}"). A catalog entry may be
a template, "Direction {n} ({pct}% of variance)": a built label that matches it gets the formatted Chinese.

Server-made text (gr.Error messages, status lines) is not translated by the frontend: `tr(text)` translates it
on the server when the event's request asks for Chinese (Accept-Language), and returns it unchanged otherwise,
so API callers and English browsers get exactly the text they got before.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
import re
import string
from pathlib import Path

import gradio as gr
from gradio.i18n import I18nData

from . import zh_CN, zh_CN_errors, zh_TW

ZH_LOCALE = "zh-CN"
# the long texts with named keys: name → (module, attribute) that holds the English
LONG_SOURCES = {
    "lesson.gan": ("ui.gan", "LESSON"),
    "lesson.vae": ("ui.vae", "LESSON"),
    "lesson.diffusion": ("ui.diffusion", "LESSON"),
    "lesson.autoregressive": ("ui.autoregressive", "LESSON"),
    "lesson.poems": ("ui.autoregressive", "POEM_NOTE"),
    "lesson.rhyme": ("ui.autoregressive", "RHYME_NOTE"),
    "lesson.gaussian": ("ui.gaussian", "LESSON"),
    "lesson.train": ("ui.train", "LESSON"),
    "lesson.train_more": ("ui.lessons", "TRAIN_LESSON"),
    "lesson.compare": ("ui.lessons", "COMPARE_LESSON"),
    "classroom.intro": ("ui.classroom", "INTRO"),
    "lesson.melody_ar": ("ui.melody", "AR_NOTE"),
    "lesson.melody_vae": ("ui.melody", "VAE_NOTE"),
    "lesson.melody_diffusion": ("ui.melody", "DIFFUSION_NOTE"),
}
TRANSLATED_PROPS = ("label", "info", "placeholder")

EN: dict[str, str] = {}        # key → English: filled by localize() (and key() calls) as the page is built
ZH: dict[str, str] = {}        # key → Simplified Chinese
ZH_HANT: dict[str, str] = {}   # key → Traditional Chinese (zh_TW.py: the Simplified catalog through OpenCC)
# The frontend (svelte-i18n) tries a browser's locale, then shorter tags ("zh-Hans-CN" → "zh-Hans" → "zh"), then
# English. So "zh" covers zh, zh-Hans, zh-SG too; Traditional Chinese (zh-TW, zh-HK, zh-MO, zh-Hant, which would
# fall back to "zh" as well) gets the Traditional catalog. language() draws the same line for the server's texts.
TRADITIONAL = ("zh-TW", "zh-HK", "zh-MO", "zh-Hant")
HANT_LOCALE = "zh-TW"
I18N = gr.I18n(en=EN, **{ZH_LOCALE: ZH, "zh": ZH}, **{loc: ZH_HANT for loc in TRADITIONAL})


def hant(simplified: str) -> str:
    """The Traditional form of a Simplified text of the catalog (zh_TW.HANT; a text conversion leaves alone is
    itself). A catalog text missing there means zh_TW.py was not rebuilt: tests/test_i18n.py catches that."""
    return zh_TW.HANT.get(simplified, simplified)


for _key, (_en, _zh) in zh_CN.GRADIO.items():      # Gradio's own keys its language lists lack (else shown raw)
    EN[_key], ZH[_key], ZH_HANT[_key] = _en, _zh, hant(_zh)


def english_long_texts(extra: dict[str, str] | None = None) -> dict[str, str]:
    """name → the English of each long text, read from the module that owns it (app.py passes its own)."""
    out = {k: inspect.cleandoc(v) for k, v in (extra or {}).items()}
    for name, (module, attr) in LONG_SOURCES.items():
        out[name] = inspect.cleandoc(getattr(importlib.import_module(module), attr))
    return out


@functools.lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern, str, str]]:
    """The catalog's templates (entries with {placeholders}) as anchored regexes, longest first."""
    out = []
    for en, zh in zh_CN.TEXTS.items():
        names = re.findall(r"\{(\w+)\}", en)
        if not names:
            continue
        pattern = "".join(f"(?P<{p[1:-1]}>.*?)" if re.fullmatch(r"\{\w+\}", p) else re.escape(p)
                          for p in re.split(r"(\{\w+\})", en) if p)
        out.append((re.compile(f"^{pattern}$", re.S), en, zh))
    return sorted(out, key=lambda t: -len(t[1]))


def translate(text: str, traditional: bool = False) -> str | None:
    """The Chinese of an English text (a catalog entry, or a template's match with its values, which are
    translated in turn when the catalog has them), else None; in Traditional characters with `traditional`."""
    if not isinstance(text, str) or not text.strip():
        return None
    conv = hant if traditional else (lambda s: s)
    if text in zh_CN.TEXTS:
        return conv(zh_CN.TEXTS[text])
    for rx, _en, zh in _templates():
        m = rx.match(text)
        if m:
            values = {k: translate(v, traditional) or v for k, v in m.groupdict().items()}
            return conv(zh).format(**values)
    return None


def key(english: str, name: str | None = None, *, prefix: str = "") -> I18nData | None:
    """The I18n key for an English text (registered in both languages), or None when there is no Chinese;
    `prefix` sets the key apart from the text (a choice's: see choices())."""
    zh = zh_CN.LONG.get(name) if name else translate(english)
    if zh is None:
        return None
    k = name or prefix + english
    if "}" in k or "\n" in k or len(k) > 200:
        k = "text." + hashlib.sha1(k.encode()).hexdigest()[:12]
    EN[k], ZH[k] = english, zh
    ZH_HANT[k] = hant(zh) if name else translate(english, traditional=True)
    return I18N(k)


def localize(demo: gr.Blocks, long_texts: dict[str, str] | None = None) -> list[str]:
    """Turn the built page's texts into I18n keys (see the module docstring); `long_texts` names more long
    texts (name → English). Returns the texts left as they were (no Chinese in the catalog), for the tests."""
    long_en = {v: k for k, v in english_long_texts(long_texts).items()}
    left = []
    for block in demo.blocks.values():
        for prop in TRANSLATED_PROPS:
            value = getattr(block, prop, None)
            if isinstance(value, str) and value.strip():
                k = key(value)
                if k is None:
                    left.append(value)
                else:
                    setattr(block, prop, k)
        if isinstance(getattr(block, "choices", None), list):
            block.choices = choices(block.choices)
        if isinstance(block, (gr.Markdown, gr.Button)) and isinstance(block.value, str) and block.value.strip():
            text = inspect.cleandoc(block.value) if isinstance(block, gr.Markdown) else block.value
            k = key(text, long_en.get(text))
            if k is None:
                left.append(block.value)
            else:
                block.value = str(k)
    demo.i18n_instance = I18N          # launch(i18n=...) sets it too; this serves the config before launch
    global LEFT
    LEFT = left
    return left


LEFT: list[str] = []                   # what the last localize() left in English


def choices(options) -> list[tuple[str, object]]:
    """A Radio/Dropdown's choices with each shown name a key where the catalog translates it; the values (what
    events send and the API takes) stay as they are. For choices set after the build (gr.update(choices=…))."""
    out = []
    for option in options:
        shown, value = option if isinstance(option, (tuple, list)) else (option, option)
        # the key is not the English itself: the page translates a component's VALUE that is a key too, and a
        # choice's value is often its English name ("normal" would be sent as 正态)
        k = key(shown, prefix="choice.") if isinstance(shown, str) else None
        out.append((str(k) if k is not None else shown, value))
    return out


def english(value):
    """The English behind an I18n key (or behind each key a string holds); anything else unchanged."""
    if isinstance(value, I18nData):
        return EN.get(value.key, value.key)
    if not isinstance(value, str) or "__i18n__" not in value:
        return value
    out, i = [], 0
    while (start := value.find("__i18n__", i)) != -1:
        end = value.find("}", start) + 1          # keys never hold "}" (see key())
        try:
            k = json.loads(value[start + 8:end])["key"]
        except (ValueError, KeyError, TypeError):
            break
        out += [value[i:start], EN.get(k, k)]
        i = end
    return "".join(out) + value[i:]


# ----------------------------------------------------------------------------- server-made text
def language(request=None) -> str:
    """The event's language as its browser asks for it first (Accept-Language, as the page's locale does):
    "zh-CN" (zh, zh-CN, zh-Hans, zh-SG …), "zh-TW" (zh-TW, zh-HK, zh-MO, zh-Hant …) or "en" (anything else)."""
    if request is None:
        from ui.gradio_seam import current_request
        request = current_request()
    headers = getattr(request, "headers", None)
    if not headers:
        return "en"
    try:
        lang = headers.get("accept-language") or ""
    except Exception:                      # noqa: BLE001  (a hostile request's headers are only data)
        return "en"
    first = lang.split(",")[0].split(";")[0].strip().lower()
    if first.startswith(tuple(t.lower() for t in TRADITIONAL)):
        return HANT_LOCALE
    return ZH_LOCALE if first == "zh" or first.startswith("zh-") else "en"


def wants_chinese(request=None) -> bool:
    """Whether the event's browser asks for Chinese first, Simplified or Traditional."""
    return language(request) != "en"


def tr(text: str, request=None) -> str:
    """`text` in the request's language: Chinese when the browser asks for it and the catalog has it."""
    lang = language(request)
    if lang == "en":
        return text
    return translate(text, lang == HANT_LOCALE) or text


def error(text: str) -> gr.Error:
    """A gr.Error in the request's language."""
    return gr.Error(tr(text))


def engine_message(e: Exception, request=None) -> str:
    """An engine error in the request's language: a generators.EngineError by its key (ui/i18n/zh_CN_errors.py
    ENGINE) with its values (one that is an EngineError itself, rendered the same way); a value shown plain
    ({dataset}, {name}) that the catalog translates (a data set's, a family's or an option's name) is shown
    translated, one quoted ({token!r}: what the user typed or sent) is shown as it is. Any other error's text as
    tr gives it. English readers and API callers get str(e), the CLI's."""
    from generators.errors import EngineError

    lang = language(request)
    if not isinstance(e, EngineError):
        return tr(str(e), request)
    zh = zh_CN_errors.ENGINE.get(e.key)
    if lang == "en" or zh is None:
        return str(e)
    traditional = lang == HANT_LOCALE
    quoted = {field.split(".")[0].split("[")[0] for _, field, _, conv in string.Formatter().parse(zh)
              if field and conv is not None}
    values = {k: engine_message(v, request) if isinstance(v, EngineError)       # a wrapped message: its own key
              else (translate(v, traditional) or v) if isinstance(v, str) and k not in quoted else v
              for k, v in e.values.items()}
    return (hant(zh) if traditional else zh).format(**values)


def engine_error(e: Exception) -> gr.Error:
    """A gr.Error for an engine error, in the request's language (engine_message)."""
    return gr.Error(engine_message(e))


# ----------------------------------------------------------------------------- matplotlib figures
# CJK fonts matplotlib may find (fonts-wqy-microhei, fonts-noto-cjk, Adobe's Source Han, macOS/Windows ones)
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans",
             "Source Han Sans CN", "PingFang SC", "Microsoft YaHei", "SimHei")


CJK_FILES = ("wqy", "wenquanyi", "notosanscjk", "notoserifcjk", "notosanssc", "sourcehansans", "pingfang", "msyh",
             "simhei")                   # how their files are named: a font installed after matplotlib cached its list


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first CJK font matplotlib can draw with, else None (a bare Hugging Face Space may have none). Matplotlib
    lists the system's fonts once and caches the list; a CJK font installed later is added from its file."""
    from matplotlib import font_manager

    def found():
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    if found() is None:
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower().replace("-", "").replace("_", "") for hint in CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):    # a font file FreeType cannot read
                    pass
    return found()


@functools.lru_cache(maxsize=4)
def pil_cjk_font(size: int):
    """cjk_font() as a PIL font of `size` pixels (for text written on pictures), else None (PIL's default)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    if cjk_font() is None:
        return None
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=cjk_font()), fallback_to_default=False)
        return ImageFont.truetype(path, size)
    except (OSError, ValueError):
        return None


def figure_chinese(request=None) -> str:
    """The Chinese a figure made for this request is drawn in, "zh-CN" or "zh-TW", when the browser asks for it
    and a CJK font exists (without one Chinese would draw as boxes, so the figure stays English: ""). Truthy
    exactly when the figure is Chinese; a cache may key on it."""
    lang = language(request)
    return lang if lang != "en" and cjk_font() is not None else ""


def fig_text(text: str, request=None) -> str:
    """A figure's text in the request's language (see figure_chinese)."""
    lang = figure_chinese(request)
    return (translate(text, lang == HANT_LOCALE) or text) if lang else text


def localize_figure(fig, chinese: bool | None = None):
    """A matplotlib Figure with its texts (titles, axis labels, legend entries, text artists) in the request's
    language: for a Chinese figure (`chinese`, else figure_chinese()) each text the catalog translates becomes
    Chinese, drawn in the CJK font (DejaVu Sans for the glyphs it lacks); otherwise the figure is left untouched.
    Returns the figure, so a module can write `I.localize_figure(fig).tight_layout()`. `chinese`: True or
    "zh-CN" for Simplified, "zh-TW" for Traditional, falsy for English."""
    chinese = figure_chinese() if chinese is None else chinese
    if fig is None or cjk_font() is None or not chinese:
        return fig
    from matplotlib.text import Text

    family = [cjk_font(), "DejaVu Sans"]
    for artist in fig.findobj(Text):
        zh = translate(artist.get_text(), chinese == HANT_LOCALE)
        if zh is not None:
            artist.set_text(zh)
            artist.set_fontfamily(family)
    return fig


# ----------------------------------------------------------------------------- texts the page translates itself
def page_texts() -> dict[str, str]:
    """English → Chinese for ui/js/50-i18n-page.js: texts inside tables and diagrams whose values stay English
    for the API (the Compare table, the Gaussian summary, the lessons' SVG diagrams); templates included."""
    return dict(zh_CN.PAGE)


def page_script() -> str:
    """The <script> that hands page_texts() to the page (app.py puts it after ui/js/*.js in <head>), in
    Simplified (pageZh) and Traditional (pageZhHant) characters, and the Traditional form of the scripts' own
    Chinese (hantRuns, for LatentLab.zh)."""
    texts = page_texts()
    data = {"pageZh": texts, "pageZhHant": {en: hant(zh) for en, zh in texts.items()}, "hantRuns": zh_TW.JS_RUNS}
    return "".join(f"<script>window.LatentLab.{name} = "
                   + json.dumps(d, ensure_ascii=False).replace("</", "<\\/") + ";</script>\n"
                   for name, d in data.items())
