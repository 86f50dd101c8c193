"""Rhyme and tone of Chinese characters, read from their modern Mandarin pinyin (pypinyin), for Tang quatrains.

A character's rhyme is its pinyin final, tone ignored, put in one of 13 rhyme groups: the medial (i, u, ü before
the vowel) is dropped, as rhyme ignores it (光 guang, 霜 shuang, 乡 xiang all rhyme in -ang), and finals that
rhyme in verse share a group (e/o/uo; en/in/un/ün; eng/ing/ong). Two choices decide the corpus figure:
- pypinyin's strict finals write the "-i" of zhi/chi/shi/ri/zi/ci/si as "i", so 时 and 期 share a group, as
  they do in the Tang 支 rhyme; keeping "-i" apart would split that rhyme;
- ü ("v" here) goes with u, as in the Tang 鱼/虞 rhymes (无 wu, 衢 qu, 珠 zhu): 86% of the corpus's quatrains
  rhyme lines 2 and 4 (11% with line 4 from another poem). The folk 十三辙 puts ü with i instead: 84%; the raw
  finals (iang ≠ uang) give 45%, the finals without their medial 67%.
Heteronyms take pypinyin's default (most common) reading of the single character, never a phrase reading.

Tones (平仄) are read the same way — tones 1 and 2 level (平), 3 and 4 oblique (仄), neutral or unknown: neither.
This is an approximation: Middle Chinese's entering tone (入声) merged into all four modern tones, so some
characters read level today (e.g. 一, 十, 白, 国) were oblique in Tang.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, pinyin

from .datasets.poems import poem_form
from .errors import EngineError

# rhyme group → the pinyin finals in it (pypinyin strict finals: ü is written v, uei/iou/uen unabbreviated)
GROUPS = {
    "a": "a ia ua", "o": "o e uo", "ie": "ie ve", "i": "i er", "u": "u v", "ai": "ai uai", "ei": "ei uei",
    "ao": "ao iao", "ou": "ou iou", "an": "an ian uan van", "en": "en in uen vn", "ang": "ang iang uang",
    "eng": "eng ing ong iong ueng",
}
CLASSES = tuple(GROUPS)                                   # a group's index is its class number
_GROUP_OF = {f: g for g, finals in GROUPS.items() for f in finals.split()}
LEVEL, OBLIQUE = "平", "仄"


def _reading(ch: str, style) -> str | None:
    """The default pinyin of one character in `style`, or None when it has none (punctuation, Latin, rare)."""
    if len(ch) != 1:
        raise EngineError("one character at a time, got {ch!r}", ch=ch)
    s = pinyin(ch, style=style, strict=True, heteronym=False, errors=lambda _: [None])[0][0]
    return s or None


@lru_cache(maxsize=None)
def rhyme_of(ch: str) -> str | None:
    """The rhyme group of a character ("ang" for 光, 霜 and 乡), or None if it has no reading."""
    return _GROUP_OF.get(_reading(ch, Style.FINALS) or "")


def rhymes(a: str, b: str) -> bool:
    """Whether two characters rhyme (same rhyme group); a character without a reading rhymes with nothing."""
    ra = rhyme_of(a)
    return ra is not None and ra == rhyme_of(b)


def line_ends(poem: str) -> list[str]:
    """The last character of each line of a quatrain (the ones before ，。，。)."""
    form = poem_form(poem)
    if not form:
        raise EngineError("not a quatrain of 5 or 7 characters a line: {poem!r}", poem=poem[:30])
    return [poem[(i + 1) * (form + 1) - 2] for i in range(4)]


def rhyme_rate(poems: list[str]) -> float:
    """The share of quatrains whose lines 2 and 4 end in rhyming characters."""
    if not poems:
        raise EngineError("no poems to measure")
    return sum(rhymes(e[1], e[3]) for e in map(line_ends, poems)) / len(poems)


def shuffled_rate(poems: list[str], seed: int = 0) -> float:
    """The chance level of rhyme_rate: line 2 of each poem against line 4 of another (a seeded derangement)."""
    ends = [line_ends(p) for p in poems]
    if len(ends) < 2:
        raise EngineError("the shuffled baseline needs at least 2 poems")
    order = list(range(len(ends)))
    random.Random(seed).shuffle(order)
    other = order[1:] + order[:1]                 # poem order[i] meets poem order[i+1]: never itself
    return sum(rhymes(ends[i][1], ends[j][3]) for i, j in zip(order, other)) / len(ends)


def follows_rhyme(poem: str) -> bool:
    """Whether a quatrain keeps the scheme the rhyme constraint enforces: lines 2 and 4 rhyme, and in the
    7-character form line 1 rhymes with line 2 as well."""
    e = line_ends(poem)
    return rhymes(e[1], e[3]) and (poem_form(poem) == 5 or rhymes(e[0], e[1]))


def rhyme_classes(chars: str) -> list[int]:
    """Each character's rhyme class (an index into CLASSES), -1 for none: the rows of a vocabulary's table."""
    return [CLASSES.index(g) if (g := rhyme_of(ch)) else -1 for ch in chars]


# ----------------------------------------------------------------------------- tones (平仄)
@lru_cache(maxsize=None)
def level_of(ch: str) -> str | None:
    """平 (modern tones 1, 2), 仄 (tones 3, 4), or None (neutral tone, no reading). See the module's note: an
    approximation of the Tang tones."""
    s = _reading(ch, Style.TONE3)                  # e.g. "guang1"; a neutral tone has no digit
    return {"1": LEVEL, "2": LEVEL, "3": OBLIQUE, "4": OBLIQUE}.get(s[-1]) if s else None


# The regulated quatrain patterns. Only positions 2, 4, 6 are checked (一三五不论，二四六分明), and there the
# variants with and without a rhyming first line agree, so each form has two: 平起 (line 1's second character
# level) and 仄起. Written here with the common first line (5: unrhymed, 7: rhymed).
PATTERNS = {
    (5, "平起"): "平平平仄仄，仄仄仄平平。仄仄平平仄，平平仄仄平。",
    (5, "仄起"): "仄仄平平仄，平平仄仄平。平平平仄仄，仄仄仄平平。",
    (7, "平起"): "平平仄仄仄平平，仄仄平平仄仄平。仄仄平平平仄仄，平平仄仄仄平平。",
    (7, "仄起"): "仄仄平平仄仄平，平平仄仄仄平平。平平仄仄平平仄，仄仄平平仄仄平。",
}
CHECKED = (1, 3, 5)            # 0-based columns of the 2nd, 4th, 6th characters of a line


@dataclass(frozen=True)
class Tonal:
    pattern: str                    # "平起" or "仄起"
    expected: str                   # the pattern, aligned with the poem (punctuation included)
    breaks: tuple[int, ...]         # indices into the poem of the checked characters whose level breaks it


def tonal_check(poem: str) -> Tonal | None:
    """The pattern that fits the poem's first line best (ties: the whole poem, then the form's standard start,
    仄起 for 5, 平起 for 7) and the checked characters (2nd, 4th, 6th of each line) that break it; None when
    `poem` is not a quatrain. Characters of unknown level are never marks."""
    form = poem_form(poem)
    if not form:
        return None
    checked = [i for i in range(len(poem)) if i % (form + 1) in CHECKED and i % (form + 1) < form]
    levels = {i: level_of(poem[i]) for i in checked}

    def misses(pattern: str, upto: int) -> list[int]:
        return [i for i in checked if i < upto and levels[i] is not None and levels[i] != pattern[i]]

    default = "仄起" if form == 5 else "平起"
    best = min(("平起", "仄起"), key=lambda name: (len(misses(PATTERNS[form, name], form)),
                                                 len(misses(PATTERNS[form, name], len(poem))), name != default))
    expected = PATTERNS[form, best]
    return Tonal(best, expected, tuple(misses(expected, len(poem))))
