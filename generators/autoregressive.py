"""Character-level autoregressive models (as makemore / nanoGPT): a decoder-only Transformer with KV-cache
sampling, or an LSTM, behind one contract. p(x) = Π_t p(x_t | x_<t); token 0 ('.') starts and ends a word.

A model of Tang quatrains (its vocabulary holds ， and 。) can be held to a form while it samples: `FormMask`
(generators/poem_form.py) says which tokens may come next and the sampler sets the logits of all others to −∞
before temperature, top-k and top-p.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .base import Family, LatentSpec, check_choices, check_whole_numbers, make_generator, train_field
from .data import dataset_kind, load_dataset
from .datasets.poems import LINE_ENDS, poem_form
from .errors import EngineError
from .poem_form import PUNCTUATION, FormMask
from .recipe import Recipe, RunDefaults

BOUNDARY = "."   # token 0: start and end of every item
MAX_VOCAB = 16_384
FORMS = (0, 5, 7)              # 0: free; else characters a line


@dataclass(frozen=True)
class AutoregressiveConfig:
    vocab: str = "abcdefghijklmnopqrstuvwxyz"   # the characters (token i+1 is vocab[i])
    arch: str = "transformer"                   # transformer | lstm
    block_size: int = 32                        # longest sequence (start token + characters)
    n_layer: int = train_field(3, "Transformer layers", lo=1, hi=8)
    n_head: int = 4
    n_embd: int = train_field(64, "Width", lo=8, hi=512)
    hidden: int = 128                           # lstm width
    dropout: float = 0.0
    lr: float = 2e-3
    weight_decay: float = 0.01
    tie_embeddings: bool = False                # transformer: the output layer reuses the input embedding
    melody: bool = False                        # the characters are melody events (generators/music.py)

    def __post_init__(self):
        check_choices(self, (("arch", ("transformer", "lstm")),))
        if not isinstance(self.tie_embeddings, bool):
            raise EngineError("tie_embeddings must be true or false")
        if self.tie_embeddings and self.arch != "transformer":
            raise EngineError("tie_embeddings is for the transformer")
        if not isinstance(self.vocab, str) or not 1 <= len(self.vocab) <= MAX_VOCAB or \
                len(set(self.vocab)) != len(self.vocab):
            raise EngineError("vocab must be 1..{n} distinct characters", n=MAX_VOCAB)
        if BOUNDARY in self.vocab:
            raise EngineError("vocab cannot contain the boundary character {char!r}", char=BOUNDARY)
        check_whole_numbers(self, (("block_size", 2, 1024), ("n_layer", 1, 24), ("n_head", 1, 32),
                                   ("n_embd", 1, 2048), ("hidden", 1, 4096)))
        if self.arch == "transformer" and self.n_embd % self.n_head:
            raise EngineError("n_embd must be a multiple of n_head")
        if not 0 <= self.dropout < 1 or not 0 < self.lr <= 1:
            raise EngineError("dropout must be in [0, 1) and lr in (0, 1]")


class CausalSelfAttention(nn.Module):
    def __init__(self, c: AutoregressiveConfig):
        super().__init__()
        self.n_head = c.n_head
        self.qkv = nn.Linear(c.n_embd, 3 * c.n_embd)
        self.proj = nn.Linear(c.n_embd, c.n_embd)

    def forward(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        if cache is not None:                       # keys/values of earlier positions, (B, nh, T0, hs)
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], 2)
                v = torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        # causal: query t sees keys ≤ its absolute position (T0 + t)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None or T > 1 and k.shape[2] == T)
        if cache is not None and T > 1 and k.shape[2] != T:
            raise EngineError("a multi-token step after a cache is not supported")
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, c: AutoregressiveConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(c.n_embd), nn.LayerNorm(c.n_embd)
        self.attn = CausalSelfAttention(c)
        self.mlp = nn.Sequential(nn.Linear(c.n_embd, 4 * c.n_embd), nn.GELU(), nn.Linear(4 * c.n_embd, c.n_embd),
                                 nn.Dropout(c.dropout))

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln1(x), cache)
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    def __init__(self, c: AutoregressiveConfig):
        super().__init__()
        V = len(c.vocab) + 1
        self.wte, self.wpe = nn.Embedding(V, c.n_embd), nn.Embedding(c.block_size, c.n_embd)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.n_embd)
        if c.tie_embeddings:                    # logits = h · wteᵀ + b: one (V, C) matrix in and out
            self.head_bias = nn.Parameter(torch.zeros(V))
        else:
            self.head = nn.Linear(c.n_embd, V)

    def forward(self, idx, state=None):
        """idx (B, T) → logits (B, T, V). `state` (a dict) carries the KV cache and the position."""
        T = idx.shape[1]
        t0 = state.get("pos", 0) if state is not None else 0
        pos = torch.arange(t0, t0 + T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)                          # (B, T, C)
        caches = state.setdefault("layers", [{} for _ in self.blocks]) if state is not None else [None] * len(self.blocks)
        for block, cache in zip(self.blocks, caches):
            x = block(x, cache)
        if state is not None:
            state["pos"] = t0 + T
        x = self.ln_f(x)
        return F.linear(x, self.wte.weight, self.head_bias) if hasattr(self, "head_bias") else self.head(x)


class LSTMNet(nn.Module):
    def __init__(self, c: AutoregressiveConfig):
        super().__init__()
        V = len(c.vocab) + 1
        self.emb = nn.Embedding(V, c.n_embd)
        self.lstm = nn.LSTM(c.n_embd, c.hidden, num_layers=min(c.n_layer, 2), batch_first=True)
        self.head = nn.Linear(c.hidden, V)

    def forward(self, idx, state=None):
        h0 = state.get("h") if state is not None else None
        out, h = self.lstm(self.emb(idx), h0)                     # (B, T, hidden)
        if state is not None:
            state["h"] = h
        return self.head(out)


def cut_distribution(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """logits (B, V) → probabilities after temperature, top-k and nucleus (top-p) cuts; t = 0 → one-hot argmax."""
    if temperature == 0:
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)
    logits = logits / temperature
    if top_k and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, -1)
    if top_p < 1.0:
        sp, si = probs.sort(-1, descending=True)
        keep = sp.cumsum(-1) - sp < top_p                       # smallest set with mass ≥ p (first always kept)
        probs = torch.zeros_like(probs).scatter(-1, si, sp * keep)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def draw(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One token per row (B, 1) from probabilities (B, V). Small vocabularies (names) keep torch.multinomial, so
    a seed draws what it always drew; over 5,042 characters multinomial took ~45% of a small poem model's sampling
    time on CPU, and one uniform per row through the cumulative sum (inverse CDF) draws the same distribution."""
    if probs.shape[-1] <= 512:
        return torch.multinomial(probs, 1, generator=generator)
    cdf = probs.cumsum(-1)
    u = torch.rand(probs.shape[0], 1, generator=generator, device=probs.device, dtype=cdf.dtype) * cdf[:, -1:]
    return torch.searchsorted(cdf, u, right=True).clamp(max=probs.shape[-1] - 1)


class Autoregressive(Family):
    name: ClassVar[str] = "autoregressive"
    TITLE: ClassVar[str] = "Autoregressive"
    DEFAULT_DATASET: ClassVar[str] = "names"
    Config: ClassVar[type] = AutoregressiveConfig
    NETWORKS: ClassVar[tuple[str, ...]] = ("net",)
    SAMPLE_OPTIONS: ClassVar[dict] = {
        "temperature": (float, 1.0, "softmax temperature (0 = greedy)"),
        "top_k": (int, 0, "sample only among the k most likely characters (0 = all)"),
        "top_p": (float, 1.0, "nucleus sampling: the smallest set of characters with this much mass"),
        "prefix": (str, "", "every sample starts with these characters (a melody model's: note names, e.g. "
                            "\"D5:4 A4 C5\")"),
        "form": (int, 0, "poem models: 5 or 7 characters a line, four lines ending ，。，。 (0 = free)"),
        "acrostic": (str, "", "poem models, with --form: 4 characters, line i starts with character i"),
        "rhyme": (bool, False, "poem models, with --form: line 4 rhymes with line 2 (form 7: line 2 with line 1 "
                               "too), by the characters' modern pinyin finals"),
    }

    def __init__(self, config: AutoregressiveConfig):
        super().__init__(config)
        self.net = Transformer(config) if config.arch == "transformer" else LSTMNet(config)
        self.stoi = {ch: i + 1 for i, ch in enumerate(config.vocab)}
        self._bigram = None
        self._known: frozenset | None = None
        self._rhymes: tuple[torch.Tensor, torch.Tensor] | None = None

    # 2 CPU cores: held-out NLL below the character bigram's from ~50 steps; 500 steps ≈ 10 s
    RUN_DEFAULTS: ClassVar[dict] = {"text": RunDefaults(Recipe(warmup=50, schedule="cosine", ema_decay=0.99),
                                                        batch_size=64, steps=500),
                                    "melody": RunDefaults(Recipe(warmup=100, schedule="cosine", ema_decay=0.99),
                                                          batch_size=64, steps=1000)}

    @classmethod
    def config_for(cls, dataset: str, **overrides) -> AutoregressiveConfig:
        kind = dataset_kind(dataset)
        if kind not in ("text", "melody"):
            raise EngineError("the autoregressive family trains on text or melodies, not {kind} ({name!r})", kind=kind,
                              name=dataset)
        if kind == "melody":         # every event, seen or not, so any melody can be typed and scored
            from .music import EVENT_CHARS, TEXT_STEPS
            # 349k parameters, dropout 0.2: held-out NLL 1.07 nats/event at 750–1,000 steps (a 4-layer, 128-wide,
            # dropout-0.1 model trained 3,000 steps memorised: 2.61, and 24% of its samples copied 16+ notes)
            base = {"vocab": EVENT_CHARS, "block_size": TEXT_STEPS + 1, "lr": 3e-3, "n_embd": 96, "n_layer": 3,
                    "dropout": 0.2, "melody": True}
            return AutoregressiveConfig(**{**base, **overrides})
        texts = load_dataset(dataset, "all").texts
        vocab = "".join(sorted(set("".join(texts)) - {BOUNDARY}))
        longest = max(len(t) for t in texts) + 1
        base = {"vocab": vocab, "block_size": max(16, longest), "lr": 5e-3}    # lr tuned with RUN_DEFAULTS
        if len(vocab) > 512:        # thousands of characters (poems: 5,042): a wider model, one tied embedding
            base.update(n_layer=4, n_embd=128, n_head=4, lr=3e-3,
                        tie_embeddings=overrides.get("arch", "transformer") == "transformer")
        return AutoregressiveConfig(**{**base, **overrides})

    @torch.no_grad()
    def init_weights(self, generator: torch.Generator) -> None:
        super().init_weights(generator)
        if self.config.tie_embeddings and self.config.arch == "transformer":    # N(0, 1) rows as output weights
            for emb in (self.net.wte, self.net.wpe):                         # would make logits of ~±13
                nn.init.normal_(emb.weight, std=0.02, generator=generator)

    @property
    def data_kind(self) -> str:
        return "melody" if self.config.melody else "text"

    def latent_spec(self) -> LatentSpec:
        return LatentSpec((self.config.block_size,), "tokens", "one character at a time, each drawn from p(x_t | x_<t)")

    # ------------------------------------------------------------------ tokens
    def encode_text(self, s: str) -> list[int]:
        bad = sorted({ch for ch in s if ch not in self.stoi})
        if bad:
            raise EngineError("characters not in this model's vocabulary: {chars!r}", chars="".join(bad))
        return [self.stoi[ch] for ch in s]

    def decode_tokens(self, toks) -> str:
        return "".join(self.config.vocab[t - 1] for t in toks if t > 0)

    @property
    def writes_poems(self) -> bool:
        """Whether the form options apply: the vocabulary has the line-end marks ， and 。."""
        return all(ch in self.stoi for ch in LINE_ENDS)

    def form_mask(self, form: int = 0, acrostic: str = "", rhyme: bool = False) -> FormMask | None:
        """The mask of `form` (5 or 7), `acrostic` (4 characters or "") and `rhyme`, validated; None for free
        sampling."""
        if isinstance(form, bool) or not isinstance(form, int) or form not in FORMS:
            raise EngineError("form must be 0 (free), 5 or 7")
        if not isinstance(acrostic, str):
            raise EngineError("acrostic must be text")
        if not isinstance(rhyme, bool):
            raise EngineError("rhyme must be true or false")
        if not form and not acrostic and not rhyme:
            return None
        if not self.writes_poems:
            raise EngineError("form and acrostic are for poem models: this model's vocabulary has no ， and 。 "
                              "(autoregressive-poems has them)")
        if rhyme and not form:
            raise EngineError("rhyme needs a form: give form 5 or 7 with it")
        if acrostic:
            if not form:
                raise EngineError("an acrostic needs a form: give form 5 or 7 with it")
            if len(acrostic) != 4:
                raise EngineError("the acrostic must be exactly 4 characters (one per line), got {n}", n=len(acrostic))
            bad = sorted({ch for ch in acrostic if ch not in self.stoi})
            if bad:
                raise EngineError("acrostic characters not in this model's vocabulary: {chars!r}", chars="".join(bad))
            if any(ch in PUNCTUATION for ch in acrostic):
                raise EngineError("the acrostic's characters start lines: they cannot be punctuation")
        return FormMask(self.stoi, form, acrostic, device=self.device, rhyme=self.rhyme_table() if rhyme else None)

    def rhyme_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """((classes + 1, V) bool: the tokens of each rhyme class, the last row all True for the tokens of none;
        (V,) each token's row), computed once per model from the vocabulary (generators/rhyme.py)."""
        if self._rhymes is None:
            from . import rhyme                                   # pypinyin: only once rhyme is asked for

            C = len(rhyme.CLASSES)
            cls = torch.tensor([-1] + rhyme.rhyme_classes(self.config.vocab))      # token 0 (the end): none
            cls = torch.where(cls < 0, C, cls)
            members = F.one_hot(cls, C + 1).T.bool().contiguous()
            members[C] = True
            self._rhymes = members, cls
        return self._rhymes

    def prepare_data(self, dataset):
        if dataset.kind != self.data_kind:
            raise EngineError("this autoregressive model trains on {kind}, {name!r} is {other}", kind=self.data_kind,
                              name=dataset.name, other=dataset.kind)
        T = self.config.block_size
        texts = [t for t in dataset.texts if len(t) < T]
        X = torch.zeros(len(texts), T, dtype=torch.long)
        Y = torch.full((len(texts), T), -1, dtype=torch.long)     # -1: ignored by the loss
        for i, t in enumerate(texts):
            ids = self.encode_text(t)
            X[i, 1:len(ids) + 1] = torch.tensor(ids, dtype=torch.long)
            Y[i, :len(ids)] = torch.tensor(ids, dtype=torch.long)
            Y[i, len(ids)] = 0                                     # the end token is predicted too
        return X, Y

    # ------------------------------------------------------------------ training
    def configure_optimizers(self, lr: float | None = None):
        return {"net": torch.optim.AdamW(self.parameters(), lr=lr or self.config.lr, betas=(0.9, 0.99),
                                         weight_decay=self.config.weight_decay)}

    def losses(self, batch, *, generator: torch.Generator):
        """One phase: the next-character cross-entropy, averaged over the batch's tokens (padding ignored)."""
        X, Y = batch
        logits = self.net(X)                                                       # (B, T, vocab + 1)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), ignore_index=-1)
        yield "net", loss
        return {"loss": loss.item()}

    # ------------------------------------------------------------------ likelihood
    @torch.no_grad()
    def nll(self, texts: list[str]) -> list[float]:
        """Mean negative log-likelihood per character, in nats (the end token counts as a character)."""
        out = []
        for t in texts:
            if len(t) >= self.config.block_size:
                raise EngineError("{text!r}… is longer than {n} characters", text=t[:20],
                                  n=self.config.block_size - 1)
            ids = self.encode_text(t)
            x = torch.tensor([[0] + ids], device=self.device)
            y = torch.tensor(ids + [0], device=self.device)
            out.append(F.cross_entropy(self.net(x)[0], y).item())
        return out

    @torch.no_grad()
    def surprise(self, text: str) -> list[float]:
        """−log p of each character of `text`, then of the end token (nats)."""
        ids = self.encode_text(text)
        if len(ids) >= self.config.block_size:
            raise EngineError("at most {n} characters", n=self.config.block_size - 1)
        x = torch.tensor([[0] + ids], device=self.device)
        logp = F.log_softmax(self.net(x)[0], -1)
        return [-logp[i, t].item() for i, t in enumerate(ids + [0])]

    @torch.no_grad()
    def next_distribution(self, prefix: str, *, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                          form: int = 0, acrostic: str = "", rhyme: bool = False):
        """(raw probabilities, probabilities after the form's mask and the cut) of the character after `prefix`;
        index 0 = end. The raw ones are the model's softmax at T = 1, unmasked."""
        self._check_options(temperature, top_k, top_p)
        mask = self.form_mask(form, acrostic, rhyme)
        ids = self.encode_text(prefix)
        if len(ids) >= self.config.block_size:
            raise EngineError("the prefix can be at most {n} characters", n=self.config.block_size - 1)
        allowed = self._allowed_after(mask, ids, prefix)
        logits = self.net(torch.tensor([[0] + ids], device=self.device))[0, -1]
        masked = logits if allowed is None else logits.masked_fill(~allowed, float("-inf"))
        return F.softmax(logits, -1), cut_distribution(masked[None], temperature, top_k, top_p)[0]

    def allowed_next(self, prefix: str, *, form: int = 0, acrostic: str = "", rhyme: bool = False
                     ) -> torch.Tensor | None:
        """(V,) bool: the tokens the form's mask lets follow `prefix` (index 0 = end); None when free."""
        return self._allowed_after(self.form_mask(form, acrostic, rhyme), self.encode_text(prefix), prefix)

    @staticmethod
    def _allowed_after(mask: FormMask | None, ids: list[int], prefix: str) -> torch.Tensor | None:
        return None if mask is None else mask.allowed(mask.start(1, ids, prefix))[0]

    # ------------------------------------------------------------------ sampling
    def _check_options(self, temperature, top_k, top_p):
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and 0 <= temperature <= 5):
            raise EngineError("temperature must be in 0..5")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 0 <= top_k <= len(self.config.vocab) + 1:
            raise EngineError("top_k must be a whole number in 0..{hi}", hi=len(self.config.vocab) + 1)
        if not (isinstance(top_p, (int, float)) and math.isfinite(top_p) and 0 < top_p <= 1):
            raise EngineError("top_p must be in (0, 1]")

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator, latents=None, labels=None, temperature: float = 1.0,
               top_k: int = 0, top_p: float = 1.0, prefix: str = "", form: int = 0, acrostic: str = "",
               rhyme: bool = False, use_cache: bool = True) -> list[str]:
        """n strings, each starting with `prefix`; the KV cache (or LSTM state) makes each step O(1) in length.
        A poem model with `form` 5 or 7 (an `acrostic`, `rhyme`) draws every token from the form's mask (FormMask)."""
        if labels is not None:
            raise EngineError("the autoregressive model is unconditional: it takes no label")
        if latents is not None:
            raise EngineError("the autoregressive model has no latents: its randomness is the generator")
        self._check_options(temperature, top_k, top_p)
        if not isinstance(prefix, str):
            raise EngineError("prefix must be text")
        mask = self.form_mask(form, acrostic, rhyme)
        pre = self.encode_text(prefix)
        T = self.config.block_size
        if len(pre) >= T - 1:
            raise EngineError("the prefix can be at most {n} characters", n=T - 2)
        dev = self.device
        if mask is not None:
            form_state = mask.start(n, pre, prefix)
        idx = torch.tensor([[0] + pre] * n, dtype=torch.long, device=dev)       # (n, 1+len(prefix))
        done = torch.zeros(n, dtype=torch.bool, device=dev)
        state = {} if use_cache else None
        step_in = idx
        for _ in range(T - idx.shape[1]):
            logits = self.net(step_in if use_cache else idx, state)[:, -1]      # (n, V)
            if mask is not None:
                logits = logits.masked_fill(~mask.allowed(form_state), float("-inf"))
            probs = cut_distribution(logits, temperature, top_k, top_p)
            nxt = draw(probs, generator) if temperature > 0 else probs.argmax(-1, keepdim=True)
            nxt = nxt.masked_fill(done[:, None], 0)
            if mask is not None:
                form_state = mask.advance(form_state, nxt[:, 0])
            idx = torch.cat([idx, nxt], 1)
            done |= nxt[:, 0] == 0
            if bool(done.all()):
                break
            step_in = nxt
        return [prefix + self.decode_tokens(row[1 + len(pre):].tolist()[: self._end(row[1 + len(pre):])])
                for row in idx]

    @staticmethod
    def _end(row: torch.Tensor) -> int:
        z = (row == 0).nonzero()
        return int(z[0]) if len(z) else len(row)

    # ------------------------------------------------------------------ evaluation
    def training_items(self) -> frozenset:
        """Every item of the dataset this model was trained on (train and held-out), to mark samples new or known."""
        if self._known is None:
            name = getattr(self, "meta", {}).get("dataset", "names")
            try:
                self._known = frozenset(load_dataset(name, "all").texts)
            except (ValueError, OSError):
                self._known = frozenset()
        return self._known

    def extra_metrics(self, n: int = 300, seed: int = 0) -> dict:
        name = getattr(self, "meta", {}).get("dataset", "names")
        train, held = load_dataset(name, "train").texts, load_dataset(name, "heldout").texts
        held = [t for t in held if len(t) < self.config.block_size and all(ch in self.stoi for ch in t)]
        bigram = Bigram(self.config.vocab, train)
        t0 = time.perf_counter()
        samples = self.sample(n, generator=make_generator(seed, self.device))
        dt = time.perf_counter() - t0
        valid = [s for s in samples if poem_form(s)] if self.writes_poems else \
            [s for s in samples if s.isalpha() and 2 <= len(s) <= 15]
        known = self.training_items()
        nll = self.nll(held)
        chars = [len(t) + 1 for t in held]
        per_char = sum(a * c for a, c in zip(nll, chars)) / sum(chars)
        return {"heldout_nll_per_char": per_char, "bigram_heldout_nll_per_char": bigram.nll_per_char(held),
                "validity": len(valid) / n, "novelty": sum(s not in known for s in samples) / n,
                "distinct": len(set(samples)) / n, "n_samples": n, "n_heldout": len(held),
                "sample_seconds_per_sample": dt / n, "samples_preview": samples[:10], "dataset": name}

    def preview(self, n: int, *, generator: torch.Generator):
        return self.sample(n, generator=generator)


class Bigram:
    """Counts of (previous, next) characters with add-one smoothing: the baseline every model must beat.
    Stored sparsely (the pairs seen and their counts), so a vocabulary of thousands needs no V×V table:
    p(b | a) = (count(a, b) + 1) / (count(a, ·) + V)."""

    def __init__(self, vocab: str, texts: list[str]):
        self.stoi = {ch: i + 1 for i, ch in enumerate(vocab)}
        self.V = V = len(vocab) + 1
        a, b = self._pairs([[self.stoi[ch] for ch in t if ch in self.stoi] for t in texts])
        self.keys, self.counts = torch.unique(a * V + b, return_counts=True)      # sorted pair keys
        self.rows = torch.bincount(a, minlength=V)

    @staticmethod
    def _pairs(id_lists) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [[0] + x + [0] for x in id_lists]
        a = torch.tensor([i for x in ids for i in x[:-1]], dtype=torch.long)
        b = torch.tensor([i for x in ids for i in x[1:]], dtype=torch.long)
        return a, b

    def nll_per_char(self, texts: list[str]) -> float:
        a, b = self._pairs([[self.stoi[ch] for ch in t] for t in texts])
        key = a * self.V + b
        pos = torch.searchsorted(self.keys, key).clamp(max=len(self.keys) - 1)
        seen = torch.where(self.keys[pos] == key, self.counts[pos], 0)
        logp = ((seen + 1).double() / (self.rows[a] + self.V).double()).log()
        return float(-logp.mean())
