"""Tang quatrains: the bundled corpus, the form mask (5/7 characters a line, ，。，。, an acrostic, a prefix) on a tiny
untrained model, the CLI, bad inputs, the shipped autoregressive-poems checkpoint and the tab's poem view."""
from __future__ import annotations

import math
import re

import gradio as gr
import pytest
import torch

import generators
from generators.__main__ import main as cli
from generators.autoregressive import Bigram
from generators.base import make_generator
from generators.data import dataset_kind, load_dataset
from generators.datasets.poems import POEMS_TXT, load_poems, poem_form

SHIPPED = "autoregressive-poems"


@pytest.fixture(scope="module")
def tiny():
    """A randomly initialised poem model: it knows nothing of poems, so only the mask can keep the form."""
    return generators.build("autoregressive", "poems", n_layer=1, n_head=2, n_embd=16, seed=0).eval()


def lines_of(poem: str) -> list[str]:
    return [x for x in re.split("[，。]", poem) if x]


def test_the_corpus_its_split_and_its_format():
    everything, train, held = (load_poems(s).texts for s in ("all", "train", "heldout"))
    assert len(everything) > 10_000 and len(train) + len(held) == len(everything)
    assert held == everything[::10] and not set(held) & set(train)          # the one rule: index % 10 == 0
    assert len(set(everything)) == len(everything)                         # deduplicated: no poem on both sides
    forms = [poem_form(p) for p in everything]
    assert set(forms) == {5, 7} and forms.count(5) > 1000 and forms.count(7) > 1000
    assert POEMS_TXT.read_text(encoding="utf-8").splitlines() == everything     # one poem per line
    text = "".join(everything)
    assert not set("國長風時東無來馬門雲") & set(text) and set("国长风时东无来马门云") <= set(text)   # Simplified
    d = load_dataset("poems", "heldout")
    assert d.kind == "text" and d.texts == held and dataset_kind("poems") == "text"
    assert POEMS_TXT.stat().st_size < 3_000_000


def test_poem_form():
    assert poem_form("床前明月光，疑是地上霜。举头望明月，低头思故乡。") == 5
    assert poem_form("两个黄鹂鸣翠柳，一行白鹭上青天。窗含西岭千秋雪，门泊东吴万里船。") == 7
    for bad in ("床前明月光，疑是地上霜。", "床前明月光。疑是地上霜，举头望明月，低头思故乡。",
                "床前明月，光疑是地上霜。举头望明月，低头思故乡。", "", "maria"):
        assert poem_form(bad) == 0


@pytest.mark.parametrize("form, opts", [(5, {}), (7, {}), (5, {"temperature": 2.0, "top_p": 0.2}),
                                        (7, {"temperature": 0}), (7, {"top_k": 3})])
def test_the_mask_keeps_an_untrained_model_in_form(tiny, form, opts):
    poems = tiny.sample(16, generator=make_generator(1), form=form, **opts)
    assert all(poem_form(p) == form for p in poems), [p for p in poems if poem_form(p) != form][:3]
    if not opts:
        free = tiny.sample(32, generator=make_generator(1))
        assert not any(poem_form(p) for p in free)                          # without the mask it is not


def test_acrostic_and_prefix(tiny):
    for form in (5, 7):
        poems = tiny.sample(16, generator=make_generator(2), form=form, acrostic="春夏秋冬")
        assert all(poem_form(p) == form and [x[0] for x in lines_of(p)] == list("春夏秋冬") for p in poems)
        poems = tiny.sample(16, generator=make_generator(3), form=form, prefix="床前")
        assert all(poem_form(p) == form and p.startswith("床前") for p in poems)
    both = tiny.sample(8, generator=make_generator(4), form=5, acrostic="床夏秋冬", prefix="床前明月光，夏")
    assert all(p.startswith("床前明月光，夏") and [x[0] for x in lines_of(p)] == list("床夏秋冬") for p in both)
    free = tiny.sample(8, generator=make_generator(5), prefix="床前")               # no form: only the prefix
    assert all(p.startswith("床前") for p in free)


def test_the_mask_is_seeded_and_the_kv_cache_changes_nothing(tiny):
    kw = dict(form=7, acrostic="春夏秋冬", temperature=0.9, top_k=50)
    a = tiny.sample(8, generator=make_generator(7), **kw)
    assert a == tiny.sample(8, generator=make_generator(7), **kw)
    assert a == tiny.sample(8, generator=make_generator(7), use_cache=False, **kw)
    assert a != tiny.sample(8, generator=make_generator(8), **kw)


def test_next_distribution_shows_the_mask(tiny):
    stoi = tiny.stoi
    raw, cut = tiny.next_distribution("床前明月光", form=5)                     # the line is full: only ，
    assert float(cut[stoi["，"]]) == 1.0 and float(raw[stoi["，"]]) < 1.0
    raw, cut = tiny.next_distribution("床前明月", form=5)                       # inside a line: no mark, no end
    assert float(cut[stoi["，"]]) == 0 and float(cut[stoi["。"]]) == 0 and float(cut[0]) == 0
    assert math.isclose(float(cut.sum()), 1, abs_tol=1e-5) and torch.equal(raw, tiny.next_distribution("床前明月")[0])
    _, cut = tiny.next_distribution("床前明月光，", form=5, acrostic="床夏秋冬")   # line 2 must start with 夏
    assert float(cut[stoi["夏"]]) == 1.0
    _, cut = tiny.next_distribution("床前明月光，疑是地上霜。举头望明月，低头思故乡。", form=5)
    assert float(cut[0]) == 1.0                                               # four lines: the end
    allowed = tiny.allowed_next("床前明月", form=5)
    assert allowed.dtype == torch.bool and not allowed[stoi["，"]] and allowed[stoi["光"]]
    assert tiny.allowed_next("床前") is None


@pytest.mark.parametrize("kw, message", [
    ({"form": 3}, "form must be"), ({"form": True}, "form must be"), ({"form": "5"}, "form must be"),
    ({"acrostic": "春夏秋冬"}, "needs a form"), ({"form": 5, "acrostic": "春夏秋"}, "exactly 4"),
    ({"form": 5, "acrostic": "春夏秋冬夏"}, "exactly 4"), ({"form": 5, "acrostic": "春夏秋X"}, "vocabulary"),
    ({"form": 5, "acrostic": "春夏秋，"}, "punctuation"), ({"form": 5, "acrostic": 4}, "text"),
    ({"form": 5, "prefix": "床前明月光明"}, "does not fit"), ({"form": 7, "prefix": "床前，"}, "does not fit"),
    ({"form": 5, "acrostic": "春夏秋冬", "prefix": "床"}, "does not fit"), ({"prefix": "ABC"}, "vocabulary"),
])
def test_bad_inputs_are_refused(tiny, kw, message):
    with pytest.raises(ValueError, match=message):
        tiny.sample(2, generator=make_generator(0), **kw)


def test_tied_embeddings_and_an_lstm_poem_model():
    from generators.autoregressive import AutoregressiveConfig

    tied = generators.build("autoregressive", "poems", n_layer=1, n_head=2, n_embd=16, seed=0)
    assert tied.config.tie_embeddings and not hasattr(tied.net, "head")       # one (V, C) matrix in and out
    assert tied.num_parameters() < generators.build("autoregressive", "poems", n_layer=1, n_head=2, n_embd=16,
                                                    tie_embeddings=False, seed=0).num_parameters()
    lstm = generators.build("autoregressive", "poems", arch="lstm", n_layer=1, n_embd=16, hidden=16, seed=0).eval()
    assert not lstm.config.tie_embeddings
    assert all(poem_form(p) == 7 for p in lstm.sample(8, generator=make_generator(0), form=7, acrostic="春夏秋冬"))
    with pytest.raises(ValueError, match="transformer"):
        AutoregressiveConfig(arch="lstm", tie_embeddings=True)
    with pytest.raises(ValueError, match="true or false"):
        AutoregressiveConfig(tie_embeddings=1)


def test_a_names_model_refuses_form_and_acrostic():
    names = generators.build("autoregressive", "names", n_layer=1, n_head=2, n_embd=16, seed=0)
    assert not names.writes_poems
    for kw in ({"form": 5}, {"form": 7, "acrostic": "abcd"}):
        with pytest.raises(ValueError, match="for poem models"):
            names.sample(2, generator=make_generator(0), **kw)
    assert len(names.sample(3, generator=make_generator(0), form=0, acrostic="")) == 3     # the defaults pass


def test_the_cli_writes_one_poem_per_line(tmp_path, tiny, capsys):
    generators.save_checkpoint(tiny, tmp_path / "tiny", dataset="poems")
    out = tmp_path / "poems.txt"
    assert cli(["sample", "autoregressive", "--checkpoint", str(tmp_path / "tiny"), "--n", "20", "--form", "7",
                "--acrostic", "春夏秋冬", "--out", str(out)]) == 0
    poems = out.read_text(encoding="utf-8").splitlines()
    assert len(poems) == 20 and all(poem_form(p) == 7 and p[0] == "春" for p in poems)
    assert cli(["sample", "autoregressive", "--checkpoint", str(tmp_path / "tiny"), "--n", "5", "--form", "5",
                "--prefix", "床前", "--out", str(out)]) == 0
    assert all(poem_form(p) == 5 and p.startswith("床前") for p in out.read_text(encoding="utf-8").splitlines())
    capsys.readouterr()
    for bad in (["--form", "6"], ["--acrostic", "春夏秋冬"], ["--form", "5", "--acrostic", "春"]):
        assert cli(["sample", "autoregressive", "--checkpoint", str(tmp_path / "tiny"), "--n", "2", *bad,
                    "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "\n" not in err
    assert cli(["sample", "autoregressive", "--n", "2", "--form", "5", "--out", str(out)]) == 2   # the names model
    assert "for poem models" in capsys.readouterr().err


def test_sparse_bigram_equals_the_dense_counts():
    vocab, texts = "abc", ["ab", "abc", "ab", "ca"]
    V = len(vocab) + 1
    counts = torch.ones(V, V, dtype=torch.float64)
    for t in texts:
        ids = [0] + [vocab.index(c) + 1 for c in t] + [0]
        for a, b in zip(ids, ids[1:]):
            counts[a, b] += 1
    logp = (counts / counts.sum(1, keepdim=True)).log()
    for held in (["ab"], ["cc", "ba"], ["abcabc"]):
        ids = [[0] + [vocab.index(c) + 1 for c in t] + [0] for t in held]
        want = -sum(float(logp[a, b]) for x in ids for a, b in zip(x, x[1:])) / sum(len(x) - 1 for x in ids)
        assert math.isclose(Bigram(vocab, texts).nll_per_char(held), want, rel_tol=1e-12)


# ----------------------------------------------------------------------------- the shipped model
@pytest.fixture(scope="module")
def shipped():
    return generators.load(SHIPPED, device="cpu")


def test_the_shipped_checkpoint_loads_and_samples_in_form(shipped):
    from generators.base import checkpoint_paths

    wpath, _ = checkpoint_paths(generators.base.CHECKPOINT_DIR / SHIPPED)
    assert wpath.stat().st_size < 10_000_000 and shipped.writes_poems and shipped.meta["dataset"] == "poems"
    m = shipped.meta["metrics"]
    assert m["heldout_nll_per_char"] < m["bigram_heldout_nll_per_char"] and m["novelty"] >= 0.9
    for form in (5, 7):
        poems = shipped.sample(20, generator=make_generator(0), form=form)
        assert all(poem_form(p) == form for p in poems)
    poems = shipped.sample(20, generator=make_generator(0), form=7, acrostic="春夏秋冬")
    assert all([x[0] for x in lines_of(p)] == list("春夏秋冬") for p in poems)
    real, junk = shipped.nll(["床前明月光，疑是地上霜。举头望明月，低头思故乡。", "霜乡光月，床明前疑。是地头举望，低思故上头。"])
    assert real < junk


# ----------------------------------------------------------------------------- the tab
from ui import autoregressive as tab  # noqa: E402


def poems_in(out: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", li.split("</b>")[0]) for li in out.split("<li><b>")[1:]]


def test_the_tab_writes_poems_in_form_and_marks_them():
    out = tab.generate(0, 1.0, 0, 1.0, "", 12, "poems", "7", "春夏秋冬")
    poems = poems_in(out)
    assert len(poems) == 12 and all(poem_form(p) == 7 and p[0] == "春" for p in poems)
    assert "ar-cjk" in out and out.count(">new</span>") + out.count(">in training data</span>") == 12
    assert out == tab.generate(0, 1.0, 0, 1.0, "", 12, "poems", 7, "春夏秋冬")     # the API may send the number
    free = poems_in(tab.generate(0, 1.0, 0, 1.0, "床前", 4, "poems", "free", ""))
    assert all(p.startswith("床前") for p in free)
    names = tab.generate(0, 1.0, 0, 1.0, "", 5)                              # the names view, as before
    assert names.count("<li>") == 5 and "<div class='ar-names'>" in names


@pytest.mark.parametrize("args", [
    ("", 2, "verse", "free", ""), ("", 2, "poems", "6", ""), ("", 2, "poems", "free", "春夏秋冬"),
    ("", 2, "poems", "5", "春夏"), ("", 2, "poems", "5", "x" * 10_000), ("", 2, "names", "5", ""),
    ("abc", 2, "poems", "free", ""), ("床前明月光明", 2, "poems", "5", ""), ("", 2, None, "free", ""),
    ("", 2, "poems", None, ""), ("", 2, "poems", ["5"], ""),
])
def test_the_tab_refuses_bad_poem_inputs(args):
    prefix, n, corpus, form, acrostic = args
    with pytest.raises(gr.Error):
        tab.generate(0, 1.0, 0, 1.0, prefix, n, corpus, form, acrostic)


def test_step_through_marks_what_the_form_masks():
    from test_autoregressive import chart_bars

    text, chart, choices, word = tab.step_start("床前明月光", 1.0, 0, 1.0, "poems", "5", "")
    bars = chart_bars(chart)
    assert text == "床前明月光" and len(bars) == tab.TOP and choices["choices"] == [b[0] for b in bars]
    assert [b[0] for b in bars if b[2] > 0] == ["，"]                        # the line is full: only ，
    assert chart.count("data-masked=1") == tab.TOP - 1 and "the form forbids it" in chart and "ar-cjk" in chart
    _, chart, _, _ = tab.step_start("", 1.0, 0, 1.0, "poems", "5", "春夏秋冬")   # the acrostic's 春 is shown
    bars = chart_bars(chart)
    assert [(b[0], b[2]) for b in bars if b[2] > 0] == [("春", 1.0)]
    with pytest.raises(gr.Error, match="masked"):
        tab.step_force("床前明月", "，", 1.0, 0, 1.0, "poems", "5", "")
    forced = tab.step_force("床前明月光", "，", 1.0, 0, 1.0, "poems", "5", "")[0]
    assert forced == "床前明月光，"
    nxt = tab.step_sample(forced, 0, 1.0, 0, 1.0, "poems", "5", "床夏秋冬")[0]
    assert nxt == "床前明月光，夏"


def test_score_a_poem_and_switch_the_corpus():
    real = tab.score("床前明月光，疑是地上霜。举头望明月，低头思故乡。", "poems")
    junk = tab.score("霜乡光月，床明前疑。是地头举望，低思故上头。", "poems")
    mean = lambda h: float(h.split("Mean surprise ")[1].split()[0])  # noqa: E731
    assert mean(real) < mean(junk) and real.count("<span") == 25
    for bad in ("", "maria", "x" * 1000, None):
        with pytest.raises(gr.Error):
            tab.score(bad, "poems")
    up = tab.corpus_changed("poems")
    assert up[0]["visible"] and up[4]["maximum"] == tab.MAX_TOP_K["poems"] and poem_form(up[5]) == 5
    assert not tab.corpus_changed("names")[0]["visible"] and tab.corpus_changed("names")[5] == "maria"
    with pytest.raises(gr.Error):
        tab.corpus_changed("verse")


def test_the_train_tab_offers_poems_to_the_autoregressive_family_only():
    from ui import train as T

    assert "poems" in T.datasets_for("autoregressive") and "poems" not in T.datasets_for("gan")
    steps, batch, lr, *_ = T.dataset_changed("autoregressive", "poems")
    assert steps > 0 and batch > 0 and lr > 0

