"""The autoregressive family (tiny configs), its tab's handlers (shipped checkpoint) and the tab in Chromium (names,
and the poems corpus: tests/test_poems.py has the rest of it)."""
from __future__ import annotations

import html
import math
import re

import gradio as gr
import pytest
import torch

import generators
from generators.autoregressive import AutoregressiveConfig, Bigram, cut_distribution
from generators.base import make_generator
from generators.data import load_names
from generators.train import train


def tiny(arch="transformer", **kw):
    return generators.build("autoregressive", "names", arch=arch, n_layer=1, n_head=2, n_embd=16, hidden=16,
                            seed=0, **kw).eval()


def test_tokenizer_round_trip_and_unknown_characters():
    m = tiny()
    for s in ("anna", "zoe", "", "abcdefghijklmnopqrstuvwxyz"[: m.config.block_size - 1]):
        assert m.decode_tokens(m.encode_text(s)) == s
    with pytest.raises(ValueError, match="vocabulary"):
        m.encode_text("Anna!")
    X, Y = m.prepare_data(load_names("names", "train"))
    assert X.shape == Y.shape and (X[:, 0] == 0).all()
    first = load_names("names", "train").texts[0]
    assert m.decode_tokens(X[0].tolist()) == first and Y[0, len(first)] == 0


@pytest.mark.parametrize("arch", ["transformer", "lstm"])
def test_prefix_kept_and_seeded(arch):
    m = tiny(arch)
    a = m.sample(6, generator=make_generator(3), prefix="ma")
    assert all(s.startswith("ma") for s in a)
    assert a == m.sample(6, generator=make_generator(3), prefix="ma")
    assert a != m.sample(6, generator=make_generator(4), prefix="ma")


@pytest.mark.parametrize("arch", ["transformer", "lstm"])
def test_kv_cache_equals_no_cache(arch):
    m = tiny(arch)
    for kw in ({}, {"temperature": 0.7, "top_k": 5}, {"top_p": 0.8, "prefix": "e"}):
        assert m.sample(12, generator=make_generator(1), **kw) == \
            m.sample(12, generator=make_generator(1), use_cache=False, **kw)


def test_temperature_zero_is_greedy_and_deterministic():
    m = tiny()
    a = m.sample(5, generator=make_generator(0), temperature=0)
    b = m.sample(5, generator=make_generator(99), temperature=0)
    assert a == b and len(set(a)) == 1
    raw, cut = m.next_distribution("", temperature=0)
    assert float(cut.max()) == 1.0 and int(cut.argmax()) == int(raw.argmax())


def test_cut_distribution():
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0]])
    p = cut_distribution(logits, 1.0, 2, 1.0)
    assert p[0, 2:].sum() == 0 and math.isclose(float(p.sum()), 1.0, rel_tol=1e-6)
    p = cut_distribution(logits, 1.0, 0, 0.5)
    assert int((p > 0).sum()) == 1                               # the top token alone holds ≥ 50%
    hot = cut_distribution(logits, 5.0, 0, 1.0)
    cold = cut_distribution(logits, 0.2, 0, 1.0)
    assert float(hot.max()) < float(cold.max())


def test_option_validation():
    m = tiny()
    for kw in ({"temperature": -1}, {"temperature": float("nan")}, {"top_k": -1}, {"top_k": 1.5}, {"top_p": 0},
               {"top_p": 2}, {"prefix": "x" * 100}, {"prefix": "A1"}, {"labels": 3}):
        with pytest.raises(ValueError):
            m.sample(2, generator=make_generator(0), **kw)
    for kw in ({"arch": "gru"}, {"n_embd": 30, "n_head": 4}, {"vocab": "aab"}, {"vocab": "a.b"}, {"n_layer": 0}):
        with pytest.raises(ValueError):
            AutoregressiveConfig(**kw)


def test_training_lowers_loss_and_nll_prefers_real_names():
    m = tiny()
    data = load_names("names", "train")
    events = list(train(m, data, steps=60, batch_size=64, lr=1e-2, sample_every=60, n_samples=4))
    losses = [e["losses"]["loss"] for e in events if e["event"] == "step"]
    assert losses[-1] < losses[0] and all(math.isfinite(x) for x in losses)
    assert len([e for e in events if e["event"] == "samples"][0]["samples"]) == 4
    name, junk = m.nll(["anna", "xqzkvw"])
    assert name < junk


def test_bigram_baseline():
    b = Bigram("abc", ["ab", "abc", "ab"])
    assert b.nll_per_char(["ab"]) < b.nll_per_char(["cc"])


def test_save_load_round_trip(tmp_path):
    m = tiny("lstm")
    generators.save_checkpoint(m, tmp_path / "a", dataset="names")
    m2 = generators.load(tmp_path / "a", device="cpu")
    assert m2.config == m.config and m2.nll(["anna"]) == m.nll(["anna"])


def test_shipped_names_model_quality():
    m = generators.load("autoregressive-names", device="cpu")
    r = m.extra_metrics(n=300, seed=0)
    assert r["validity"] >= 0.98 and r["novelty"] >= 0.5
    assert r["heldout_nll_per_char"] < r["bigram_heldout_nll_per_char"] - 0.1


# ----------------------------------------------------------------------------- handlers
from ui import autoregressive as tab  # noqa: E402


def test_generate_marks_new_and_known():
    out = tab.generate(0, 1.0, 0, 1.0, "", 24)
    assert out.count("<li>") == 24 and ("new" in out or "in training data" in out)
    assert out == tab.generate(0, 1.0, 0, 1.0, "", 24)
    assert out != tab.generate(0, 1.5, 0, 1.0, "", 24)
    cold = tab.generate(0, 0.0, 0, 1.0, "", 5)
    assert cold.count(">in training data</span>") + cold.count(">new</span>") == 5
    assert len(set(li.split("</b>")[0] for li in cold.split("<li><b>")[1:])) == 1     # greedy: one name
    items = tab.generate(1, 1.0, 0, 1.0, "Ka", 5).split("<li>")[1:]
    assert len(items) == 5 and all(li.startswith("<b>ka") for li in items)


@pytest.mark.parametrize("args", [
    (float("nan"), 1.0, 0, 1.0, "", 5), (0, float("inf"), 0, 1.0, "", 5), (0, 1.0, 1e30, 1.0, "", 5),
    (0, 1.0, 0, 0.0, "", 5), (0, 1.0, 0, 1.0, "x" * 100_000, 5), (0, 1.0, 0, 1.0, "<script>", 5),
    (0, 1.0, 0, 1.0, "", 10**6), (2**64, 1.0, 0, 1.0, "", 5), (0, "hot", 0, 1.0, "", 5),
])
def test_generate_rejects_bad_inputs(args):
    with pytest.raises(gr.Error):
        tab.generate(*args)


def chart_bars(chart: str) -> list[tuple[str, float, float]]:
    """(letter, model probability, sampled probability) of each bar group in the step-through chart, left to right."""
    return [(html.unescape(ch), float(m), float(s)) for ch, m, s in
            re.findall(r"data-letter='([^']*)' data-model='([^']*)' data-sampled='([^']*)'", chart)]


def test_step_chart_shows_the_model_beside_the_sampled_distribution():
    text, chart, choices, word = tab.step_start("ma", 1.0, 0, 1.0)
    bars = chart_bars(chart)
    model, sampled = [b[1] for b in bars], [b[2] for b in bars]
    assert text == "ma" and len(bars) == tab.TOP and choices["choices"] == [b[0] for b in bars]
    assert model == sorted(model, reverse=True)                 # most probable first
    # T = 1, no cut: the same softmax twice (float32, a few ulps at most), each a part of one distribution
    assert max(abs(a - b) for a, b in zip(model, sampled)) <= 1e-6
    assert sum(model) <= 1 + 1e-6 and sum(sampled) <= 1 + 1e-6 and "ar-cut" not in chart
    df = tab._bars("ma", 1.0, 0, 1.0)                            # the tidy frame behind it: every character
    for _, series in df.groupby("series"):
        assert len(series) == 27 and math.isclose(series.probability.sum(), 1, abs_tol=1e-5)
    rest = float(re.search(r"hold ([\d.]+)% of the model", chart).group(1)) / 100
    assert math.isclose(sum(model) + rest, 1, abs_tol=1e-3)      # the note accounts for the letters not shown

    _, cold, _, _ = tab.step_start("ma", 0.5, 0, 1.0)            # a lower temperature sharpens only the sampled bars
    cold = chart_bars(cold)
    assert [b[1] for b in cold] == model and cold[0][2] > model[0] and sum(b[2] for b in cold) <= 1 + 1e-6


def test_step_chart_marks_what_top_k_and_top_p_cut():
    _, chart, _, _ = tab.step_start("ma", 1.0, 3, 1.0)
    bars = chart_bars(chart)
    kept = [b for b in bars if b[2] > 0]
    assert [b[0] for b in kept] == [b[0] for b in bars[:3]]      # the three likeliest survive, renormalised
    assert math.isclose(sum(b[2] for b in kept), 1, abs_tol=1e-6)
    assert sum(b[1] for b in bars) <= 1 + 1e-6                   # the model's bars do not change with the cut
    assert chart.count("class='ar-col ar-cut'") == chart.count(">cut</span>") == tab.TOP - 3
    _, chart, _, _ = tab.step_start("ma", 1.0, 0, 0.5)
    bars = chart_bars(chart)
    assert 1 <= sum(b[2] > 0 for b in bars) < tab.TOP and math.isclose(sum(b[2] for b in bars), 1, abs_tol=1e-6)


def test_step_through_and_force():
    forced, chart, _, _ = tab.step_force("ma", "x", 1.0, 0, 1.0)
    assert forced == "max" and len(chart_bars(chart)) == tab.TOP
    sampled, _, _, _ = tab.step_sample(forced, 0, 1.0, 0, 1.0)
    assert sampled.startswith("max") and len(sampled) in (3, 4)
    assert sampled == tab.step_sample(forced, 0, 1.0, 0, 1.0)[0]          # seeded
    ended, _, _, word = tab.step_force("ma", "⏎ end", 1.0, 0, 1.0)
    assert ended == "ma" and "end here" in word
    greedy = chart_bars(tab.step_start("ma", 0.0, 0, 1.0)[1])
    assert [b[2] for b in greedy] == [1.0] + [0.0] * (tab.TOP - 1)
    assert tab.step_sample("ma", 5, 0.0, 0, 1.0)[0] == "ma" + greedy[0][0]
    with pytest.raises(gr.Error):
        tab.step_force("ma", "ß", 1.0, 0, 1.0)
    with pytest.raises(gr.Error):
        tab.step_start("m4", 1.0, 0, 1.0)


def test_score_colours_surprise():
    real, junk = tab.score("maria"), tab.score("xqzkvw")
    assert "nats" in real and real.count("<span") == 6
    mean = lambda h: float(h.split("Mean surprise ")[1].split()[0])  # noqa: E731
    assert mean(real) < mean(junk)
    for bad in ("", "  ", "r2d2", "x" * 1000, None):
        with pytest.raises(gr.Error):
            tab.score(bad)


def test_autoregressive_tab_slider_changes_names(page):
    from conftest import open_tab

    open_tab(page, "Autoregressive")
    page.wait_for_function("() => document.querySelector('#ar_names li')")
    before = page.inner_text("#ar_names")
    page.locator("#ar_temperature input[type=range]").fill("1.8")
    page.wait_for_function("(s) => document.querySelector('#ar_names').innerText !== s", arg=before)
    assert page.inner_text("#ar_names") != before
    page.screenshot(path=str(page.screenshot_dir / "ar_tab.png"), full_page=True)
    assert not page.errors


def test_step_chart_in_the_browser_bars_side_by_side_and_sum_to_at_most_one(page):
    from conftest import open_tab

    read = """() => [...document.querySelectorAll('#ar_step_bars [data-model]')].map(c => {
        const [m, s] = [...c.querySelectorAll('.ar-pair i')].map(i => i.getBoundingClientRect());
        return {letter: c.dataset.letter, model: +c.dataset.model, sampled: +c.dataset.sampled,
                cut: c.matches('.ar-cut'),
                mh: m.height, sh: s.height, mb: m.bottom, sb: s.bottom, mr: m.right, sl: s.left}; })"""
    open_tab(page, "Autoregressive")
    page.locator("#ar_step_start").click()
    page.wait_for_selector("#ar_step_bars .ar-col")
    bars = page.evaluate(read)
    assert len(bars) == tab.TOP
    assert sum(b["model"] for b in bars) <= 1 + 1e-6 and sum(b["sampled"] for b in bars) <= 1 + 1e-6
    big = bars[0]
    for b in bars:                      # T = 1, no cut: two equal bars on one baseline, side by side, not stacked
        assert abs(b["mh"] - b["sh"]) <= 1 and abs(b["mb"] - b["sb"]) <= 1 and b["mr"] <= b["sl"] and not b["cut"]
        assert abs(b["mh"] - big["mh"] * b["model"] / big["model"]) <= 1.5          # heights ∝ probabilities
    assert big["mh"] > 40
    page.locator("#ar_top_k input[type=number]").fill("3")
    page.locator("#ar_top_k input[type=number]").press("Enter")
    page.locator("#ar_step_start").click()
    page.wait_for_function("() => document.querySelectorAll('#ar_step_bars .ar-cut').length > 0")
    cut = page.evaluate(read)
    assert [b["cut"] for b in cut] == [False] * 3 + [True] * (tab.TOP - 3)
    assert all(b["sh"] == 0 for b in cut[3:]) and math.isclose(sum(b["sampled"] for b in cut), 1, abs_tol=1e-6)
    assert [b["model"] for b in cut] == [b["model"] for b in bars]
    page.locator("#ar_step_bars").screenshot(path=str(page.screenshot_dir / "ar_chart.png"))
    assert not page.errors


def test_the_poem_view_in_the_browser(page):
    """Corpus → poems: the list shows quatrains, the form picker appears, and the step-through marks the masked
    characters; the poem text is set in a CJK font stack (fonts-wqy-microhei here: no tofu in the screenshot)."""
    from conftest import open_tab

    from generators.datasets.poems import poem_form

    open_tab(page, "Autoregressive")
    page.wait_for_function("() => document.querySelector('#ar_names li')")
    assert not page.locator("#ar_form").is_visible()
    page.locator("#ar_corpus").get_by_text("poems", exact=True).click()
    page.wait_for_function("() => document.querySelector('#ar_names .ar-poems li')")
    assert page.locator("#ar_form").is_visible() and page.locator("#ar_acrostic").is_visible()
    first = page.locator("#ar_names .ar-poems li b").first.inner_text().replace("\n", "")
    assert len(first) > 4 and all("\u4e00" <= ch <= "\u9fff" or ch in "，。" for ch in first)
    page.locator("#ar_form").get_by_text("5", exact=True).click()
    page.wait_for_function("() => [...document.querySelectorAll('#ar_names .ar-poems li b')].every("
                           "b => b.innerText.replace(/\\n/g, '').length === 24)")
    poems = [b.replace("\n", "") for b in page.locator("#ar_names .ar-poems li b").all_inner_texts()]
    assert poems and all(poem_form(p) == 5 for p in poems)
    font = page.evaluate("() => getComputedStyle(document.querySelector('#ar_names .ar-poems')).fontFamily")
    assert "WenQuanYi Micro Hei" in font and "Noto Sans CJK SC" in font
    page.locator("#ar_prefix input, #ar_prefix textarea").first.fill("床前明月光")
    page.locator("#ar_step_start").click()
    page.wait_for_function("() => document.querySelectorAll('#ar_step_bars [data-masked]').length > 0")
    kept = page.evaluate("() => [...document.querySelectorAll('#ar_step_bars [data-model]')]"
                         ".filter(c => +c.dataset.sampled > 0).map(c => c.dataset.letter)")
    assert kept == ["，"]
    page.screenshot(path=str(page.screenshot_dir / "ar_poems.png"), full_page=True)
    assert not page.errors
