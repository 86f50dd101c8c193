"""Tang quatrains: 13,744 poems of 4 lines of 5 or 7 characters, Simplified characters, shipped as poems.txt.

Built once by `python -m generators.datasets.build_poems` from the npm package chinese-poetry 2.0.1 (MIT,
https://github.com/chinese-poetry/chinese-poetry), converted from Traditional characters by OpenCC (t2s);
read here offline. One poem per line, e.g. 床前明月光，疑是地上霜。举头望明月，低头思故乡。 Held-out rule as for
every bundled set: index % 10 == 0.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..data import Dataset, split_indices
from ..errors import EngineError

POEMS_TXT = Path(__file__).with_name("poems.txt")
LINE_ENDS = "，。，。"          # the punctuation that closes lines 1–4 of every quatrain
FORMS = (5, 7)                  # characters a line


def poem_form(text: str) -> int:
    """5 or 7: the line length of a well-formed quatrain (4 lines, each ending as LINE_ENDS says), else 0."""
    for f in FORMS:
        if len(text) == 4 * (f + 1) and all(text[(i + 1) * (f + 1) - 1] == LINE_ENDS[i] for i in range(4)) \
                and not any(ch in LINE_ENDS for i, ch in enumerate(text) if (i + 1) % (f + 1)):
            return f
    return 0


@lru_cache(maxsize=2)
def _poems(path: str = str(POEMS_TXT)) -> tuple[str, ...]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    bad = next((i for i, s in enumerate(lines) if not poem_form(s)), None)
    if bad is not None:
        raise EngineError("{name}, line {line}: not a quatrain of 5 or 7 characters a line", name=Path(path).name,
                          line=bad + 1)
    return tuple(lines)


def load_poems(split: str = "train") -> Dataset:
    """The quatrains in corpus order; held-out = index % 10 == 0."""
    items = _poems()
    return Dataset("poems", "text", texts=[items[i] for i in split_indices(len(items), split)])
