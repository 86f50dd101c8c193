"""Holding a sample to the form of a Tang quatrain: `FormMask` says which tokens may come next — line length 5 or
7, ，。，。 at the line ends, an acrostic's first characters, rhyming line ends (generators/rhyme.py's classes), the
end after 4 lines — for the autoregressive family's sampler, which sets the logits of all others to −∞.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .datasets.poems import LINE_ENDS
from .errors import EngineError

PUNCTUATION = "，。？！；：、"   # never inside a line of a poem


class FormMask:
    """Which tokens may follow, so that a sample is a quatrain of `form` characters a line: inside a line only
    characters (no punctuation, no end), at its end the line's mark (，。，。), after 4 lines only the end; with an
    acrostic, line i starts with its character i; with `rhyme` (a (classes + 1, V) table of each rhyme class's
    tokens, its last row all True for the tokens of none, and (V,) each token's row), line 4's last character rhymes with
    line 2's, and in the 7-character form line 2's with line 1's (line 1 sets the rhyme).

    A row's state is (lines done, characters in this line, (n, 4) the last character of each line so far)."""

    def __init__(self, stoi: dict[str, int], form: int, acrostic: str = "", device=None,
                 rhyme: tuple[torch.Tensor, torch.Tensor] | None = None):
        V = len(stoi) + 1
        self.form, self.V = form, V
        self.has_acrostic, self.has_rhyme = bool(acrostic), bool(rhyme)     # what a prefix's error names
        punct = torch.zeros(V, dtype=torch.bool, device=device)
        punct[[stoi[ch] for ch in PUNCTUATION if ch in stoi]] = True
        self.punct = punct
        self.body = ~punct                                        # (V,) a character inside a line
        self.body[0] = False
        def only(chars):                                          # (len(chars), V): one token allowed a row
            return F.one_hot(torch.tensor([stoi[ch] for ch in chars], device=device, dtype=torch.long), V).bool()
        # the rows a position can need: 0 inside a line, 1 the end, 2–5 line i's mark, 6–9 line i's first character
        end = F.one_hot(torch.zeros(1, dtype=torch.long, device=device), V).bool()
        self.table = torch.cat([self.body[None], end, only(LINE_ENDS),
                                only(acrostic) if acrostic else self.body.expand(4, -1)])     # (10, V)
        # (line, the earlier lines it rhymes with): the first of those sets the class, none may be repeated
        self.rhymed = () if rhyme is None else ((1, (0,)), (3, (0, 1))) if form == 7 else ((3, (1,)),)
        if rhyme is not None:
            members, self.cls = (t.to(device) for t in rhyme)    # (classes + 1, V), (V,)
            self.members = members & self.body

    def start(self, n: int, ids: list[int], text: str):
        """The state of n rows after the prefix `ids`, refusing one that breaks the form (a clear error naming the
        character)."""
        dev = self.punct.device
        state = (torch.zeros(1, dtype=torch.long, device=dev),) * 2 + (torch.zeros(1, 4, dtype=torch.long,
                                                                                  device=dev),)
        for i, t in enumerate(ids):
            if not bool(self.allowed(state)[0, t]):
                self._refuse(i + 1, text[i])
            state = self.advance(state, torch.tensor([t], device=dev))
        return tuple(s.expand(n, *s.shape[1:]).clone() for s in state)

    def _refuse(self, i: int, char: str):
        """Raise the error for character i (1-based) `char` of a prefix that breaks the form (and its options)."""
        form = self.form
        if self.has_acrostic and self.has_rhyme:
            raise EngineError("the prefix does not fit the {form}-character form and acrostic and rhyme: character {i} "
                              "({char!r}) cannot come there", form=form, i=i, char=char)
        if self.has_acrostic:
            raise EngineError("the prefix does not fit the {form}-character form and acrostic: character {i} "
                              "({char!r}) cannot come there", form=form, i=i, char=char)
        if self.has_rhyme:
            raise EngineError("the prefix does not fit the {form}-character form and rhyme: character {i} ({char!r}) "
                              "cannot come there", form=form, i=i, char=char)
        raise EngineError("the prefix does not fit the {form}-character form: character {i} ({char!r}) cannot come "
                          "there", form=form, i=i, char=char)

    def allowed(self, state) -> torch.Tensor:
        """A state ((n,) lines done, (n,) characters in the current line, (n, 4) line ends) → (n, V) bool: the
        tokens that may come next."""
        lines, col, ends = state
        li = lines.clamp(max=3)
        row = torch.where(col == 0, 6 + li, 0)                    # a line's first character (the body if no acrostic)
        row = torch.where(col == self.form, 2 + li, row)
        out = self.table[torch.where(lines >= 4, 1, row)]
        for line, earlier in self.rhymed:
            at = (lines == line) & (col == self.form - 1)         # (n,) the rows at that line's last character
            if bool(at.any()):
                out[at] = self._rhyming(out[at], ends[at][:, list(earlier)])
        return out

    def _rhyming(self, free: torch.Tensor, earlier: torch.Tensor) -> torch.Tensor:
        """(k, V) the line end's free choice, (k, e) the earlier rhyme characters → (k, V): the characters of the
        first one's class, without the earlier ones where that leaves any; the free choice where the first has
        no class or its class no character the free choice allows (never an empty row)."""
        row = self.cls[earlier[:, 0]]                             # (k,) the last row: no class
        want = free & self.members[row]
        fresh = want & ~F.one_hot(earlier, self.V).any(1).bool()
        use_fresh = fresh.any(-1) & (row < len(self.members) - 1)
        want = torch.where(use_fresh[:, None], fresh, want)
        return torch.where(want.any(-1, keepdim=True), want, free)

    def advance(self, state, tokens):
        """The state after each row's next token (n,)."""
        lines, col, ends = state
        p = self.punct[tokens]
        last = (col == self.form - 1) & ~p & (tokens > 0) & (lines < 4)          # a line's last character
        ends = torch.where(last[:, None] & (torch.arange(4, device=ends.device) == lines[:, None]),
                           tokens[:, None], ends)
        return lines + p.long(), torch.where(p, torch.zeros_like(col), col + 1), ends
