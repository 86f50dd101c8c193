"""The Autoregressive tab: generate names or Tang quatrains, step through one character at a time, score any text.

The corpus picker chooses the model (autoregressive-names or autoregressive-poems); for poems the form (5 or 7
characters a line), an acrostic and rhyme are enforced by the engine's mask of the next-token distribution, the
step-through chart shows what the mask forbids beside what top-k / top-p cut, and the poem list underlines the
characters that break the tonal pattern (平仄)."""
from __future__ import annotations

import html
import random

import gradio as gr
import pandas as pd

from generators.base import make_generator
from generators.rhyme import tonal_check

from . import common as C
from . import i18n as I
from . import lessons, melody, share
from .gradio_seam import added_last

MAIN_EVENT = "autoregressive_sample"          # the tab's main named event (the conformance suite calls it, hostile values too)

CHECKPOINT = "autoregressive-names"
CORPORA = {"names": CHECKPOINT, "poems": "autoregressive-poems"}     # the corpus picker: its shipped model
FORMS = {"free": 0, "5": 5, "7": 7}                                   # the form picker: characters a line
MAX_N = 64
MAX_TEMP = 2.0
MAX_TOP_K = {"names": 27, "poems": 200}
SCORE_EXAMPLE = {"names": "maria", "poems": "床前明月光，疑是地上霜。举头望明月，低头思故乡。"}
CJK_FONTS = ('"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "Source Han Sans SC", "Songti SC", '
             '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", '
             'serif')
CJK_CSS = f".ar-cjk {{ font-family: {CJK_FONTS}; }}"

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

RHYME_NOTE = ("**Rhyme and tones.** *Rhyme* masks the line ends too: line 4's last character must rhyme with "
              "line 2's (in the 7-character form line 2's with line 1's as well), and may not repeat it. A rhyme is "
              "the character's pinyin final, tone and medial ignored, in 13 groups (guang, shuang and xiang all "
              "rhyme in -ang). The poem list underlines the characters that break the regulated tonal pattern (ping "
              "and ze: level and oblique) at a line's 2nd, 4th and 6th character (the 1st, 3rd and 5th are free), "
              "against the level-start or the oblique-start pattern, whichever fits the first line better; the "
              "pattern is named beside each poem. Tones 1 and 2 count as level, 3 and 4 as oblique. This is an "
              "approximation: both rhyme and tone are read from modern Mandarin, and Tang's entering tone (rusheng) "
              "has merged into all four modern tones, so some characters read level today were oblique then (bó, "
              "bái, guó).")

POEM_NOTE = ("**Poems.** The *poems* corpus is 13,744 Tang quatrains: four lines of 5 or 7 characters ending ，。，。. "
             "With a form, the sampler masks the next-character distribution before temperature and the cuts: inside "
             "a line no punctuation and no end, at its end only the right mark, after four lines only the end (an "
             "acrostic forces each line's first character the same way). The step-through marks the masked "
             "characters *mask*: even an untrained model obeys the form.")


def _corpus(corpus) -> str:
    return C.choice(corpus, "Corpus", list(CORPORA))


def _model(corpus: str = "names"):
    """This session's model from the Train tab when it writes this corpus (poems: its vocabulary has ， and 。),
    else the corpus's shipped model."""
    mine = C.explored("autoregressive", "text")
    if mine is not None and mine.writes_poems == (corpus == "poems"):
        return mine
    return C.pretrained(CORPORA[corpus])


def _options(temperature, top_k, top_p, corpus: str = "names"):
    model = _model(corpus)
    t = C.number(temperature, "Temperature", 0, MAX_TEMP)
    k = C.number(top_k, "Top-k", 0, len(model.config.vocab) + 1, integer=True)
    p = C.number(top_p, "Top-p", 0.01, 1.0)
    return t, k, p


def _form(form, acrostic, rhyme=False) -> tuple[int, str, bool]:
    """The form picker's value ("free", "5", "7"; or 0, 5, 7 from the API), the acrostic box's and the rhyme
    checkbox's, checked here; the engine says whether they fit the model (poems only) and each other (an acrostic
    and rhyme need a form)."""
    key = str(form) if isinstance(form, int) and not isinstance(form, bool) and form in FORMS.values() else form
    key = "free" if key == "0" else key
    if not isinstance(rhyme, bool):
        raise I.error("Rhyme must be true or false.")
    return FORMS[C.choice(key, "Form", list(FORMS))], _acrostic(acrostic), rhyme


def _acrostic(acrostic) -> str:
    a = C.text(acrostic, "Acrostic", 20).strip()
    if a and len(a) != 4:
        raise I.error(f"The acrostic must be exactly 4 characters, one for each line (got {len(a)}).")
    return a


def _unknown(text: str, corpus: str) -> str:
    """The characters of `text` that `corpus`'s model has no token for, sorted."""
    return "".join(sorted({ch for ch in text if ch not in _model(corpus).stoi}))


def _prefix(prefix, corpus: str = "names", limit: int | None = None) -> str:
    """The prefix (or the step-through's text so far, up to `limit` characters), checked against the vocabulary."""
    limit = limit or (32 if corpus == "poems" else 20)
    if corpus == "poems":
        p = C.text(prefix, "Prefix", limit).strip()
        if bad := _unknown(p, corpus):
            raise I.error(f"The prefix may only use characters the poem model knows (not {bad!r}).")
        return p
    p = C.text(prefix, "Prefix", limit).strip().lower()
    if bad := _unknown(p, corpus):
        raise I.error(f"The prefix may only use letters a–z (got {bad!r}).")
    return p


def _poem_html(x: str, tones: bool = False) -> str:
    """A quatrain as two couplets, one a line (split after each 。); with `tones`, each character that breaks the
    poem's tonal pattern (generators.rhyme.tonal_check) in a span of class ar-break saying what the pattern wants."""
    check = tonal_check(x) if tones else None
    breaks = set(check.breaks) if check else set()
    out = []
    for i, c in enumerate(x):
        if i in breaks:
            tip = html.escape(I.tr(f"{c}: {'平' if check.expected[i] == '仄' else '仄'} here, the {check.pattern} "
                                   f"pattern wants {check.expected[i]}"))
            out.append(f"<span class='ar-break' title='{tip}'>{html.escape(c)}</span>")
        else:
            out.append(html.escape(c))
        if c == "。" and i + 1 < len(x):
            out.append("<br>")
    return "".join(out)


def _pattern_tag(x: str) -> str:
    """The tonal pattern a quatrain is checked against (平起 / 仄起), or nothing for another text."""
    check = tonal_check(x)
    if check is None:
        return ""
    tip = html.escape(I.tr("the tonal pattern this poem is checked against: 平起 (level start) or 仄起 (oblique "
                           "start)"))
    return f" <span class='ar-pattern' title='{tip}'>{check.pattern}</span>"


TONE_CSS = (".ar-break{text-decoration:underline dotted #dc2626;text-decoration-thickness:2px;"
            "text-underline-offset:.28em}.ar-pattern{font-size:.75em;opacity:.75;margin-left:.3em}"
            ".ar-legend{font-size:.85em;opacity:.9}")


@C.engine_errors
def generate(seed, temperature, top_k, top_p, prefix, n, corpus="names", form="free", acrostic="", rhyme=False):
    """N names (or poems) from the model, each marked new or in the training data; the poems' characters that
    break the tonal pattern underlined."""
    corpus = _corpus(corpus)
    model = _model(corpus)
    s, (t, k, p) = C.seed(seed), _options(temperature, top_k, top_p, corpus)
    n = C.number(n, "N", 1, MAX_N, integer=True)
    f, a, r = _form(form, acrostic, rhyme)
    items = model.sample(n, generator=make_generator(s, model.device), temperature=t, top_k=k, top_p=p,
                         prefix=_prefix(prefix, corpus), form=f, acrostic=a, rhyme=r)
    known = model.training_items()
    poems = corpus == "poems"
    show = (lambda x: _poem_html(x, tones=True)) if poems else html.escape
    seen, fresh = I.tr("in training data"), I.tr("new")
    rows = "".join(f"<li><b>{show(x) or '∅'}</b>{_pattern_tag(x) if poems else ''} "
                   f"<span class='{'ar-known' if x in known else 'ar-new'}'>"
                   f"{seen if x in known else fresh}</span></li>" for x in items)
    new = sum(x not in known for x in items)
    cls, cols = ("ar-names ar-poems ar-cjk", 2) if poems else ("ar-names", 3)
    legend = (f"<p class='ar-legend'><span class='ar-break'>字</span> " + html.escape(I.tr(
        "breaks the tonal pattern (平仄) named beside its poem at a line's 2nd, 4th or 6th character, with tones "
        "read from modern Mandarin: an approximation (How it works says why).")) + "</p>") \
        if poems and any(tonal_check(x) for x in items) else ""
    return (f"<div class='{cls}'><p>{html.escape(I.tr(f'{new} of {n} are new'))}</p><ol>{rows}</ol>{legend}</div>"
            f"<style>.ar-names ol{{columns:{cols};font-size:1.05em}}.ar-new{{color:#15803d;font-size:.8em}}"
            ".ar-known{color:#6b7280;font-size:.8em}.ar-poems li{break-inside:avoid;margin-bottom:.5em;"
            f"font-size:1.1em;line-height:1.6}}{CJK_CSS}{TONE_CSS}</style>")


# ----------------------------------------------------------------------------- step through
TOP = 10                                   # characters shown in the step-through chart
MODEL, SAMPLED = "model", "sampled"        # its two series


def _chars(model) -> list[str]:
    return ["⏎ end"] + list(model.config.vocab)                  # index 0 = the end token


def _bars(prefix: str, t, k, p, corpus: str = "names", form: int = 0, acrostic: str = "",
          rhyme: bool = False) -> pd.DataFrame:
    """Every next character, most probable first, as a tidy frame (letter, series, probability, masked): "model"
    is the softmax at T = 1, "sampled" the distribution actually drawn from after the form's mask (poems),
    temperature, top-k and top-p; "masked": the form forbids it. When the mask leaves none of the TOP likeliest
    (an acrostic's character, a rhyme), the likeliest allowed one takes the last place shown."""
    model = _model(corpus)
    rule = dict(form=form, acrostic=acrostic, rhyme=rhyme)
    raw, cut = model.next_distribution(prefix, temperature=t, top_k=k, top_p=p, **rule)
    allowed = model.allowed_next(prefix, **rule)                                        # (V,) bool, or None
    order, chars = raw.argsort(descending=True, stable=True).tolist(), _chars(model)
    if not any(cut[i] > 0 for i in order[:TOP]):
        best = max(order, key=lambda i: float(cut[i]))
        order.remove(best)
        order.insert(TOP - 1, best)
    letters = [chars[i] for i in order]
    masked = [False] * len(order) if allowed is None else [not bool(allowed[i]) for i in order]
    return pd.DataFrame({"letter": letters * 2, "series": [MODEL] * len(order) + [SAMPLED] * len(order),
                         "probability": raw[order].tolist() + cut[order].tolist(), "masked": masked * 2})


def _pct(x: float) -> str:
    return "0" if x == 0 else "<1%" if x < 0.01 else f"{x:.0%}"


def _sampled_label(t, k, p, form: int = 0, acrostic: str = "", rhyme: bool = False) -> str:
    """The sampled series' name with what shapes it, each part in the request's language."""
    rule = [f"form {form}" if form else ""] + [f"acrostic {acrostic}" if acrostic else ""] + ["rhyme" * rhyme]
    rule = [I.tr(r) for r in rule if r]
    sep = "，" if I.wants_chinese() else ", "
    if t == 0:
        return I.tr("sampled ({what})").format(what=sep.join([I.tr("T = 0: always the likeliest"), *rule]))
    cuts = [f"T = {t:g}"] + [f"top-k {k}"] * bool(k) + [f"top-p {p:g}"] * (p < 1)
    cuts += [I.tr("no cut")] * (not k and p == 1)
    return I.tr("sampled ({what})").format(what=sep.join(cuts + rule))


def _chart(df: pd.DataFrame, t, k, p, form: int = 0, acrostic: str = "", rhyme: bool = False,
           unit: str = "character") -> str:
    """The TOP likeliest characters as grouped bars, model beside sampled, values under them; a character that can
    never be drawn (sampled probability 0) is hatched grey and marked "cut", or "mask" where the poem's form
    forbids it; the others summed in a line below."""
    letters = df.letter[df.series == MODEL].tolist()
    m, s = df.probability[df.series == MODEL].tolist(), df.probability[df.series == SAMPLED].tolist()
    masked = df.masked[df.series == MODEL].tolist() if "masked" in df else [False] * len(letters)
    scale = next(v for v in (0.1, 0.2, 0.4, 0.6, 0.8, 1.0) if max(m[:TOP] + s[:TOP]) <= v + 1e-6)
    cols = []
    for ch, pm, ps, mk in zip(letters[:TOP], m[:TOP], s[:TOP], masked[:TOP]):
        why = "masked by the form, never drawn" if mk else "cut, never drawn"
        tip = html.escape(f"{ch}: model {pm:.1%}, " + (why if ps == 0 else f"sampled {ps:.1%}"))
        cols.append(f"<div class='ar-col{' ar-cut' * (ps == 0)}' role='listitem' title='{tip}' aria-label='{tip}' "
                    f"data-letter='{html.escape(ch)}' data-model='{pm!r}' data-sampled='{ps!r}'"
                    f"{' data-masked=1' * mk}>"
                    f"<div class='ar-pair'><i class='ar-m' style='height:{100 * pm / scale:.2f}%'></i>"
                    f"<i class='ar-s' style='height:{100 * ps / scale:.2f}%'></i></div>"
                    f"<b class='ar-l'>{html.escape(ch.split()[0])}</b><span class='ar-v'>{_pct(pm)}</span>"
                    f"<span class='ar-v ar-vs'>{I.tr('mask' if mk else 'cut') if ps == 0 else _pct(ps)}</span></div>")
    rest, cut_rest, mask_rest = len(letters) - TOP, sum(x == 0 for x in s[TOP:]), sum(masked[TOP:])
    note = I.tr(f"The other {rest} {unit}s hold {sum(m[TOP:]):.1%} of the model's probability and "
                f"{sum(s[TOP:]):.1%} of the sampled one" + (f" ({cut_rest} of them cut" if cut_rest else "")
                + (f", {mask_rest} by the form's mask" if cut_rest and mask_rest else "") + (")." if cut_rest else "."))
    cut_key = f"<span><i class='ar-key ar-cutkey'></i>{I.tr('cut: never drawn')}</span>" if 0 in s[:TOP] else ""
    cut_key += (f"<span><b class='ar-maskkey'>{I.tr('mask')}</b>{I.tr(': the form forbids it')}</span>"
                if any(masked[:TOP]) else "")
    cjk = bool(form) or any(len(x) == 1 and ord(x) > 0x2e80 for x in letters[:TOP])      # a poem model's characters
    return (f"<figure class='ar-chart{' ar-cjk' * cjk}'>"
            f"<figcaption><b>{I.tr(f'Next {unit}: the {TOP} likeliest')}</b>"
            f"<span><i class='ar-key ar-m'></i>{I.tr('model (T = 1)')}</span>"
            f"<span><i class='ar-key ar-s'></i>{html.escape(_sampled_label(t, k, p, form, acrostic, rhyme))}</span>"
            f"{cut_key}"
            "</figcaption>"
            f"<div class='ar-plot'><div class='ar-gutter' aria-hidden='true'><div class='ar-ticks'>"
            f"<span style='bottom:100%'>{scale:.0%}</span><span style='bottom:50%'>{scale / 2:.0%}</span>"
            f"<span style='bottom:0'>0</span></div><span class='ar-l'></span><span class='ar-v'><i class='ar-key ar-m'>"
            f"</i></span><span class='ar-v'><i class='ar-key ar-s'></i></span></div>"
            f"<div class='ar-cols' role='list'><div class='ar-grid' aria-hidden='true'></div>{''.join(cols)}"
            f"</div></div>"
            f"<p class='ar-note'>{note}</p></figure>")


CHART_CSS = """
.ar-chart { margin: 0; font-size: 14px; color: var(--body-text-color); --ar-h: 170px; --ar-m: #3b82f6; --ar-s: #f97316;
            --ar-cut: #9ca3af; }
.ar-chart figcaption { display: flex; flex-wrap: wrap; align-items: center; gap: .2em 1.1em; margin-bottom: .9em; }
.ar-chart figcaption b { flex-basis: 100%; }
.ar-key { display: inline-block; width: .85em; height: .85em; border-radius: 2px; margin-right: .35em;
          vertical-align: -.08em; }
.ar-m { background: var(--ar-m); }
.ar-s { background: var(--ar-s); }
.ar-cutkey, .ar-cut .ar-m { background: repeating-linear-gradient(135deg, var(--ar-cut) 0 2px, transparent 2px 5px);
                            box-shadow: inset 0 0 0 1px var(--ar-cut); }
.ar-plot { display: flex; gap: 4px; max-width: 60em; }
.ar-gutter, .ar-col { display: flex; flex-direction: column; text-align: center; }
.ar-gutter { width: 2.6em; flex: none; }
.ar-ticks { position: relative; height: var(--ar-h); }
.ar-ticks span { position: absolute; right: 4px; transform: translateY(50%); font-size: .75em; line-height: 1;
                 opacity: .8; }
.ar-cols { position: relative; display: flex; flex: 1; min-width: 0; }
.ar-grid { position: absolute; left: 0; right: 0; top: 0; height: calc(var(--ar-h) / 2); pointer-events: none;
           border-top: 1px dashed var(--border-color-primary); border-bottom: 1px dashed var(--border-color-primary); }
.ar-col { position: relative; flex: 1 1 0; min-width: 0; }
.ar-pair { height: var(--ar-h); display: flex; align-items: flex-end; justify-content: center; gap: 2px;
           border-bottom: 1px solid var(--body-text-color-subdued); }
.ar-pair i { display: block; width: 36%; max-width: 26px; }
.ar-l { display: block; height: 28px; line-height: 28px; font-size: 1.3em; }
.ar-v { display: block; height: 20px; line-height: 20px; font-size: .85em; white-space: nowrap;
        font-variant-numeric: tabular-nums; }
.ar-cut .ar-l, .ar-cut .ar-vs { opacity: .55; }
.ar-cut .ar-vs { font-style: italic; }
.ar-note, .ar-empty { margin: .6em 0 0; font-size: .9em; opacity: .85; }
.ar-maskkey { font-style: italic; font-weight: normal; opacity: .7; }
@media (max-width: 600px) {                    /* a phone: ~25 px a character, values still 11 px */
  .ar-chart { --ar-h: 150px; }
  .ar-gutter { width: 2.1em; }
  .ar-ticks span { right: 3px; }
  .ar-pair { gap: 1px; }
  .ar-pair i { width: 42%; }
  .ar-v { font-size: 11px; }
}
""" + CJK_CSS


def _view(text: str, t, k, p, ended: bool = False, corpus: str = "names", form: int = 0, acrostic: str = "",
          rhyme: bool = False):
    """The four step-through outputs: the text so far, the chart, the characters to force, the word."""
    df = _bars(text, t, k, p, corpus, form, acrostic, rhyme)
    choices = df.letter[df.series == MODEL].tolist()[:TOP]
    return text, _chart(df, t, k, p, form, acrostic, rhyme), gr.update(choices=choices, value=None), \
        _word_html(text, ended, corpus)


def _step_settings(text, temperature, top_k, top_p, corpus, form, acrostic, rhyme):
    """(corpus, text so far, (t, k, p), form, acrostic, rhyme) of a step-through event, each checked."""
    corpus = _corpus(corpus)
    return corpus, _prefix(text, corpus, _model(corpus).config.block_size), \
        _options(temperature, top_k, top_p, corpus), *_form(form, acrostic, rhyme)


@C.engine_errors
def step_start(prefix, temperature, top_k, top_p, corpus="names", form="free", acrostic="", rhyme=False):
    """Begin a step-through at the prefix: show the next-character bars."""
    corpus, text, opts, f, a, r = _step_settings(prefix, temperature, top_k, top_p, corpus, form, acrostic, rhyme)
    return _view(text, *opts, corpus=corpus, form=f, acrostic=a, rhyme=r)


@C.engine_errors
def step_sample(text, seed, temperature, top_k, top_p, corpus="names", form="free", acrostic="", rhyme=False):
    """Let the model draw the next character (from the masked and cut distribution)."""
    import torch

    corpus, text, (t, k, p), f, a, r = _step_settings(text, temperature, top_k, top_p, corpus, form, acrostic,
                                                      rhyme)
    model = _model(corpus)
    if len(text) >= model.config.block_size - 1:
        raise I.error("The poem is as long as the model allows." if corpus == "poems" else
                      "The name is as long as the model allows.")
    _, cut = model.next_distribution(text, temperature=t, top_k=k, top_p=p, form=f, acrostic=a, rhyme=r)
    g = make_generator(C.seed(seed) + len(text), model.device)
    i = int(cut.argmax()) if t == 0 else int(torch.multinomial(cut, 1, generator=g))
    return _advance(text, i, t, k, p, corpus, f, a, r)


@C.engine_errors
def step_force(text, choice, temperature, top_k, top_p, corpus="names", form="free", acrostic="", rhyme=False):
    """The user clicked a character: append it, whatever its probability (but not one the form forbids)."""
    corpus, text, (t, k, p), f, a, r = _step_settings(text, temperature, top_k, top_p, corpus, form, acrostic,
                                                      rhyme)
    model = _model(corpus)
    chars = _chars(model)
    if choice not in chars:
        raise I.error("Pick one of the characters shown.")
    allowed = model.allowed_next(text, form=f, acrostic=a, rhyme=r)
    if allowed is not None and not bool(allowed[chars.index(choice)]):
        raise I.error("The form does not allow that character here (it is masked).")
    return _advance(text, chars.index(choice), t, k, p, corpus, f, a, r)


def _advance(text, i, t, k, p, corpus="names", form=0, acrostic="", rhyme=False):
    if i == 0:
        return _view(text, t, k, p, True, corpus, form, acrostic, rhyme)
    return _view(text + _model(corpus).config.vocab[i - 1], t, k, p, False, corpus, form, acrostic, rhyme)


def _word_html(text: str, ended: bool, corpus: str = "names") -> str:
    state = "— the model chose to end here" if ended else "…"
    if corpus == "poems":
        return (f"<p class='ar-cjk' style='font-size:1.8em;letter-spacing:.08em;line-height:1.5'><b>"
                f"{_poem_html(text) or '&nbsp;'}</b>{state}</p><style>{CJK_CSS}</style>")
    return f"<p style='font-size:2em;letter-spacing:.1em'><b>{html.escape(text) or '&nbsp;'}</b>{state}</p>"


# ----------------------------------------------------------------------------- scoring
@C.engine_errors
def score(name, corpus="names"):
    """Per-character surprise (−log p, nats) coloured over the characters, and the mean NLL."""
    corpus = _corpus(corpus)
    model = _model(corpus)
    poems = corpus == "poems"
    s = C.text(name, "Poem" if poems else "Name", model.config.block_size + 8 if poems else 30).strip()
    s = s if poems else s.lower()
    if not s:
        raise I.error("Type a poem to score." if poems else "Type a name to score.")
    bad = sorted({ch for ch in s if ch not in model.stoi})
    if bad:
        raise I.error(f"Only characters the poem model knows can be scored (not {''.join(bad)!r})." if poems
                      else f"Only letters a–z can be scored (got {''.join(bad)!r}).")
    if len(s) >= model.config.block_size:
        raise I.error(f"At most {model.config.block_size - 1} characters can be scored.")
    sur = model.surprise(s)
    spans = []
    for ch, v in zip(list(s) + ["⏎"], sur):
        a = min(1.0, v / (12.0 if poems else 6.0))            # 6 nats ≈ a very surprising letter; 12 a character
        spans.append(f"<span title='{v:.2f} nats' style='background:rgba(239,68,68,{a:.2f});padding:0 .15em;"
                     f"border-radius:3px'>{html.escape(ch)}</span>")
    mean = sum(sur) / len(sur)
    known = I.tr(" (it is in the training data)") if s in model.training_items() else ""
    mean_text = I.tr(f"Mean surprise {mean:.2f} nats per character, total {sum(sur):.1f} nats:")
    if poems:
        verdict = I.tr("very poem-like" if mean < 4.5 else "plausible" if mean < 6.5 else "not very poem-like")
        return (f"<p class='ar-cjk ar-scored' style='font-size:1.8em'>{''.join(spans)}</p><style>{CJK_CSS}</style>"
                f"<p>{mean_text} <b>{verdict}</b>{known}{I.tr('. Hover a character for its −log p.')}</p>")
    verdict = I.tr("very name-like" if mean < 1.8 else "plausible" if mean < 2.6 else "not very name-like")
    return (f"<p class='ar-scored' style='font-size:2em;font-family:monospace'>{''.join(spans)}</p>"
            f"<p>{mean_text} <b>{verdict}</b>{known}{I.tr('. Hover a letter for its −log p.')}</p>")


def corpus_changed(corpus):
    """Names ↔ poems: show the poem controls (form, acrostic, rhyme) for poems, reset the prefix, the form, rhyme
    and the step-through, put a fitting example in the score box and the top-k slider's range."""
    corpus = _corpus(corpus)
    poems = corpus == "poems"
    return (gr.update(visible=poems), "free", "", "", gr.update(maximum=MAX_TOP_K[corpus], value=0),
            SCORE_EXAMPLE[corpus], "", "<p class='ar-empty'>Press “Start from the prefix” to see the next-character "
            "probabilities: the model's beside the ones actually sampled.</p>", gr.update(choices=[], value=None), "",
            False)


def corpus_shown(corpus):
    """After a link set the corpus: the poem controls shown for poems and the top-k range that corpus has, the
    link's values kept (corpus_changed, on a click, resets them)."""
    corpus = _corpus(corpus)
    return gr.update(visible=corpus == "poems"), gr.update(maximum=MAX_TOP_K[corpus])


def score_shown(corpus):
    """The first render's score: the example of the corpus the link chose (a name scored by the poem model
    would only be an error; a link carries no score text)."""
    example = SCORE_EXAMPLE[_corpus(corpus)]
    return example, score(example, corpus)


def _link_prefix(prefix) -> str:
    """A link's prefix: letters for the names or characters the poem model knows (generate checks it against
    the link's corpus)."""
    try:
        return _prefix(prefix)
    except gr.Error:
        return _prefix(prefix, "poems")


def _link_acrostic(acrostic) -> str:
    a = _acrostic(acrostic)
    if bad := _unknown(a, "poems"):
        raise I.error(f"The acrostic may only use characters the poem model knows (not {bad!r}).")
    return a


def build() -> list:
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            corpus = added_last(gr.Radio(list(CORPORA), value="names", label="Corpus", elem_id="ar_corpus"))
            with gr.Row():
                seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="ar_seed")
                dice = gr.Button("🎲", elem_id="ar_dice", scale=0, min_width=50)
            temp = gr.Slider(0, MAX_TEMP, value=1.0, step=0.05, label="Temperature", elem_id="ar_temperature")
            top_k = gr.Slider(0, 27, value=0, step=1, label="Top-k (0 = off)", elem_id="ar_top_k")
            top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p", elem_id="ar_top_p")
            prefix = gr.Textbox(value="", label="Prefix", max_length=20, elem_id="ar_prefix")
            with gr.Row(visible=False, elem_id="ar_poem_row") as poem_row:
                form = added_last(gr.Radio(list(FORMS), value="free", label="Form: characters a line",
                                           elem_id="ar_form"))
                acrostic = added_last(gr.Textbox(value="", max_length=4, elem_id="ar_acrostic",
                                                 label="Acrostic: 4 characters that start the lines (with a form)"))
                rhyme = added_last(gr.Checkbox(value=False, label="Rhyme", elem_id="ar_rhyme", min_width=90))
            n = gr.Slider(1, MAX_N, value=24, step=1, label="N", elem_id="ar_n")
        with gr.Column(scale=2):
            names = gr.HTML(elem_id="ar_names")
            share.link_row("autoregressive")
    inputs = [seed, temp, top_k, top_p, prefix, n, corpus, form, acrostic, rhyme]
    gr.on([temp.input, top_k.input, top_p.input, n.input, prefix.submit, seed.submit, form.input, acrostic.submit,
           rhyme.input],
          C.fast(generate, names, thread=True), inputs, names, api_name="autoregressive_sample", **C.FAST,
          api_description="n names (corpus=poems: poems; form 5 or 7, a 4-character acrostic and rhyme shape them) "
          "from seed at temperature, top_k, top_p after prefix, as HTML, each marked new or in the training data.")
    dice.click(lambda: random.randint(0, 2**31 - 1), None, seed, api_name=False, queue=False).then(
        generate, inputs, names, api_name=False, **C.CHEAP)

    with gr.Accordion("Step through: one character at a time", open=True):
        with gr.Row():
            start = gr.Button("Start from the prefix", elem_id="ar_step_start")
            sample_btn = gr.Button("Let the model choose", elem_id="ar_step_sample")
            choice = gr.Radio([], label="…or click a character to force it", elem_id="ar_step_choice",
                              elem_classes=["ar-cjk"])
        word = gr.HTML(elem_id="ar_step_word")
        text_state = gr.State("")
        bars = gr.HTML("<p class='ar-empty'>Press “Start from the prefix” to see the next-character probabilities: "
                       "the model's beside the ones actually sampled.</p>", css_template=CHART_CSS, js_on_load=None,
                       elem_id="ar_step_bars")
    opts = [temp, top_k, top_p]
    poem_opts = [corpus, form, acrostic, rhyme]
    outs = [text_state, bars, choice, word]
    chart = "the next-character chart (HTML), the characters it offers, and the text so far (HTML)"
    start.click(step_start, [prefix, *opts, *poem_opts], outs, api_name="autoregressive_step_start", queue=False,
                api_description=f"Starts this session's step-through at prefix: {chart}.")
    sample_btn.click(step_sample, [text_state, seed, *opts, *poem_opts], outs, api_name="autoregressive_step",
                     api_description=f"The model draws the next character of this session's step-through: {chart}.",
                     queue=False)
    force_inputs = [text_state, choice, *opts, *poem_opts]
    C.api_signature(step_force, force_inputs)        # choice starts empty: None, refused in words
    choice.input(step_force, force_inputs, outs, api_name="autoregressive_force",
                 api_description=f"Appends `choice` (one of the characters the chart offers) to this session's "
                 f"step-through: {chart}.",
                 queue=False)

    with gr.Accordion("Score a name (or a poem): how much does it surprise the model?", open=True):
        with gr.Row():
            name_box = gr.Textbox(value="maria", label="Any name, or a poem for the poems corpus", max_length=40,
                                  elem_id="ar_score_input")
            score_btn = gr.Button("Score", elem_id="ar_score_btn")
        scored = gr.HTML(elem_id="ar_score")
    gr.on([score_btn.click, name_box.submit], score, [name_box, corpus], scored, api_name="autoregressive_score",
          api_description="How much each character of name (or a poem, corpus=poems) surprises the model (−log p) "
          "and the mean, in nats: HTML.",
          queue=False)

    corpus.input(corpus_changed, corpus, [poem_row, form, acrostic, prefix, top_k, name_box, scored, bars, choice,
                                           word, rhyme], api_name=False, queue=False).then(
        generate, inputs, names, api_name=False, **C.CHEAP).then(lambda: "", None, text_state, api_name=False,
                                                                  queue=False)

    melody.build_autoregressive()

    with gr.Accordion("How it works", open=False):
        gr.Markdown(LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.Markdown(POEM_NOTE)
        gr.Markdown(RHYME_NOTE)
        gr.HTML(lessons.autoregressive(), elem_id="ar_diagram")

    share.register("autoregressive", [("seed", seed, C.seed), ("temperature", temp, share.number("Temperature", 0, MAX_TEMP)),
                                      ("top_k", top_k, share.number("Top-k", 0, max(MAX_TOP_K.values()), True)),
                                      ("top_p", top_p, share.number("Top-p", 0.05, 1.0)),
                                      ("prefix", prefix, _link_prefix), ("n", n, share.number("N", 1, MAX_N, True)),
                                      ("corpus", corpus, _corpus), ("form", form, share.choice("Form", FORMS)),
                                      ("acrostic", acrostic, _link_acrostic), ("rhyme", rhyme, share.flag("Rhyme"))])
    # The first renders run after corpus_shown: a link's top-k of 50 is out of range until the poems' maximum
    # (200) has reached the server's copy of the slider, and Gradio refuses an input above it.
    return [(corpus_shown, [corpus], [poem_row, top_k],
             [(generate, inputs, names), (step_start, [prefix, *opts, *poem_opts], outs),
              (score_shown, [corpus], [name_box, scored])])]
