"""Rhyme (issue 30): the measure (pinyin finals in 13 rhyme groups), the corpus's rate against chance, the rhyme
constraint in decoding (every sample rhymes, still in form, with an acrostic too; never stuck), the CLI flag,
the tab's checkbox through real HTTP, and the tonal pattern's marks (平仄) in the poem view."""
from __future__ import annotations

import re
import time

import gradio as gr
import pytest
import torch

import generators
from generators.__main__ import main as cli
from generators.base import make_generator
from generators.data import load_dataset
from generators.datasets.poems import poem_form
from generators.rhyme import (CHECKED, PATTERNS, follows_rhyme, level_of, line_ends, rhyme_of, rhyme_rate,
                              rhymes, shuffled_rate, tonal_check)

QUIET_NIGHT = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
QUATRAIN = "两个黄鹂鸣翠柳，一行白鹭上青天。窗含西岭千秋雪，门泊东吴万里船。"


@pytest.fixture(scope="module")
def tiny():
    """A randomly initialised poem model: only the mask can make it rhyme."""
    return generators.build("autoregressive", "poems", n_layer=1, n_head=2, n_embd=16, seed=0).eval()


# ----------------------------------------------------------------------------- the measure
def test_known_pairs():
    assert rhymes("光", "霜") and rhymes("霜", "乡") and rhymes("光", "乡")        # guang / shuang / xiang: -ang
    assert not rhymes("月", "光") and not rhymes("天", "风")
    assert rhymes("天", "船") and rhymes("时", "期") and rhymes("无", "衢")      # -an; -i with i; u with ü
    assert rhymes("红", "生")                                                    # -ong with -eng
    assert not rhymes("，", "，") and rhyme_of("，") is None and rhyme_of("A") is None
    assert level_of("光") == "平" and level_of("月") == "仄" and level_of("。") is None
    with pytest.raises(ValueError, match="one character"):
        rhymes("光霜", "乡")


def test_the_corpus_rhymes_far_above_chance():
    poems = load_dataset("poems", "train").texts
    assert line_ends(QUIET_NIGHT) == list("光霜月乡") and line_ends(QUATRAIN) == list("柳天雪船")
    assert 0.82 <= rhyme_rate(poems) <= 0.88                    # the 85%
    assert 0.08 <= shuffled_rate(poems) <= 0.14                 # the 11%
    assert shuffled_rate(poems, seed=1) != shuffled_rate(poems)
    assert rhyme_rate([QUIET_NIGHT, QUATRAIN]) == 1.0 and follows_rhyme(QUIET_NIGHT)
    assert not follows_rhyme(QUATRAIN)                          # 7 characters: 柳 does not rhyme with 天
    for bad in ([], ["床前明月光"]):
        with pytest.raises(ValueError):
            rhyme_rate(bad)


# ----------------------------------------------------------------------------- the constraint
@pytest.mark.parametrize("form", [5, 7])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_constrained_sample_rhymes_and_keeps_its_form(tiny, form, seed):
    poems = tiny.sample(50, generator=make_generator(seed), form=form, rhyme=True)
    assert all(poem_form(p) == form for p in poems)
    assert all(follows_rhyme(p) for p in poems), [p for p in poems if not follows_rhyme(p)][:3]
    ends = [line_ends(p) for p in poems]
    assert all(e[3] != e[1] and (form == 5 or e[1] != e[0] and e[3] != e[0]) for e in ends)   # no repeats
    free = tiny.sample(50, generator=make_generator(seed), form=form)
    assert rhyme_rate(free) < 0.5                               # without it, an untrained model rarely rhymes


def test_rhyme_with_an_acrostic_a_prefix_and_the_cuts(tiny):
    for form in (5, 7):
        poems = tiny.sample(50, generator=make_generator(3), form=form, acrostic="春夏秋冬", rhyme=True)
        assert all(poem_form(p) == form and follows_rhyme(p) and p[0] == "春" for p in poems)
        assert all([x[0] for x in re.split("[，。]", p) if x] == list("春夏秋冬") for p in poems)
    for opts in ({"temperature": 0}, {"top_k": 3}, {"temperature": 2.0, "top_p": 0.2}):
        assert all(follows_rhyme(p) for p in tiny.sample(16, generator=make_generator(4), form=7, rhyme=True, **opts))
    poems = tiny.sample(16, generator=make_generator(5), form=5, rhyme=True, prefix="床前明月光，疑是地上霜。举头望明月，低头思故")
    assert all(p.startswith(QUIET_NIGHT[:-2]) and rhymes(p[-2], "霜") and p[-2] != "霜" for p in poems)
    kw = dict(form=7, rhyme=True, temperature=0.9)                # seeded; the KV cache changes nothing
    assert tiny.sample(8, generator=make_generator(6), **kw) == tiny.sample(8, generator=make_generator(6),
                                                                            use_cache=False, **kw)


def test_the_mask_at_the_rhyme_positions(tiny):
    allowed = tiny.allowed_next("床前明月光，疑是地上霜。举头望明月，低头思故", form=5, rhyme=True)
    chars = [tiny.config.vocab[i - 1] for i in allowed.nonzero()[:, 0].tolist()]
    assert "乡" in chars and "光" in chars and "霜" not in chars and "月" not in chars
    assert all(rhymes(c, "霜") for c in chars)
    free = tiny.allowed_next("床前明月光，疑是地上霜。举头望明月，低头思故", form=5)
    assert int(free.sum()) > 2 * int(allowed.sum())
    for prefix in ("床前明", "床前明月光，疑是地上"):               # elsewhere (form 5: line 2 too) it is the form's
        assert torch.equal(tiny.allowed_next(prefix, form=5, rhyme=True), tiny.allowed_next(prefix, form=5))
    seven = tiny.allowed_next("两个黄鹂鸣翠柳，一行白鹭上青", form=7, rhyme=True)    # line 2 rhymes with 柳
    assert all(rhymes(tiny.config.vocab[i - 1], "柳") for i in seven.nonzero()[:, 0].tolist())
    _, cut = tiny.next_distribution("床前明月光，疑是地上霜。举头望明月，低头思故", form=5, rhyme=True)
    assert float(cut[~allowed].sum()) == 0 and abs(float(cut.sum()) - 1) < 1e-5
    with pytest.raises(ValueError, match="does not fit the 5-character form and rhyme"):
        tiny.allowed_next(QUIET_NIGHT[:-2] + "月", form=5, rhyme=True)


def test_a_lone_rhyme_or_none_never_leaves_a_line_end_empty():
    """A vocabulary where 霜 is its class's only character and 月 has a class no other character shares, and Ω has
    no reading: the repeat is allowed when nothing else rhymes, and a class-less line end leaves the choice free."""
    from generators.autoregressive import AutoregressiveConfig, Autoregressive

    vocab = "。，霜月春Ω"
    model = Autoregressive(AutoregressiveConfig(vocab=vocab, n_layer=1, n_head=1, n_embd=8, block_size=40)).eval()
    only = model.allowed_next("春春春春霜，春春春春霜。春春春春月，春春春春", form=5, rhyme=True)
    assert [vocab[i - 1] for i in only.nonzero()[:, 0].tolist()] == ["霜"]       # the repeat: nothing else rhymes
    free = model.allowed_next("春春春春Ω，春春春春Ω。春春春春月，春春春春", form=5, rhyme=True)
    assert torch.equal(free, model.allowed_next("春春春春Ω，春春春春Ω。春春春春月，春春春春", form=5))
    for seed in range(3):
        assert all(poem_form(p) == 5 for p in model.sample(20, generator=make_generator(seed), form=5, rhyme=True))


@pytest.mark.parametrize("kw, message", [
    ({"rhyme": True}, "rhyme needs a form"), ({"rhyme": True, "acrostic": "春夏秋冬"}, "needs a form"),
    ({"form": 5, "rhyme": "yes"}, "rhyme must be true or false"), ({"form": 5, "rhyme": 1}, "true or false"),
])
def test_bad_rhyme_inputs_are_refused(tiny, kw, message):
    with pytest.raises(ValueError, match=message):
        tiny.sample(2, generator=make_generator(0), **kw)
    with pytest.raises(ValueError, match=message):
        tiny.next_distribution("", **kw)


def test_a_names_model_refuses_rhyme():
    names = generators.build("autoregressive", "names", n_layer=1, n_head=2, n_embd=16, seed=0)
    with pytest.raises(ValueError, match="for poem models"):
        names.sample(2, generator=make_generator(0), form=5, rhyme=True)


def test_the_cli_rhyme_flag(tmp_path, tiny, capsys):
    generators.save_checkpoint(tiny, tmp_path / "tiny", dataset="poems")
    out = tmp_path / "poems.txt"
    assert cli(["sample", "autoregressive", "--checkpoint", str(tmp_path / "tiny"), "--n", "20", "--form", "7",
                "--acrostic", "春夏秋冬", "--rhyme", "--out", str(out)]) == 0
    poems = out.read_text(encoding="utf-8").splitlines()
    assert len(poems) == 20 and all(poem_form(p) == 7 and p[0] == "春" and follows_rhyme(p) for p in poems)
    capsys.readouterr()
    assert cli(["sample", "autoregressive", "--checkpoint", str(tmp_path / "tiny"), "--n", "2", "--rhyme",
                "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "rhyme needs a form" in err and "\n" not in err
    from generators.__main__ import build_parser

    args = build_parser().parse_args(["sample", "autoregressive", "--out", "x.txt"])
    assert args.rhyme is False                                  # off unless given


def test_the_shipped_model_rhymes_when_asked():
    shipped = generators.load("autoregressive-poems", device="cpu")
    for form in (5, 7):
        assert all(follows_rhyme(p) for p in shipped.sample(30, generator=make_generator(0), form=form, rhyme=True))


# ----------------------------------------------------------------------------- tones
def test_the_patterns_follow_the_rules():
    """平起 and 仄起 are complements at the checked positions, and lines follow 对 (2 opposes 1) and 粘 (3 as 2)."""
    for form in (5, 7):
        a, b = PATTERNS[form, "平起"], PATTERNS[form, "仄起"]
        lines = [[p[i * (form + 1) + c] for c in CHECKED if c < form] for p in (a, b) for i in range(4)]
        assert a[1] == "平" and b[1] == "仄"
        assert all(x != y for x, y in zip("".join(sum(lines[:4], [])), "".join(sum(lines[4:], []))))
        for k in (0, 4):
            one, two, three, four = lines[k:k + 4]
            assert two == [{"平": "仄", "仄": "平"}[x] for x in one] and three == two and four == one


def test_tonal_check_on_known_poems():
    quatrain = tonal_check(QUATRAIN)          # 仄仄平平平仄仄: 个 仄, 鹂 平, 翠 仄 → 仄起
    assert quatrain.pattern == "仄起" and quatrain.expected == PATTERNS[7, "仄起"]
    assert [QUATRAIN[i] for i in quatrain.breaks] == ["泊"]   # bó today (level); an entering tone (仄) in Tang
    night = tonal_check(QUIET_NIGHT)          # not a regulated poem: 上 and 头 break the 平起 pattern
    assert night.pattern == "平起" and [QUIET_NIGHT[i] for i in night.breaks] == ["上", "头"]
    assert tonal_check("床前明月光") is None


# ----------------------------------------------------------------------------- the tab
from ui import autoregressive as tab  # noqa: E402


def poems_in(out: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", li.split("</b>")[0]) for li in out.split("<li><b>")[1:]]


def test_the_tab_rhymes_when_asked_and_old_calls_are_unchanged():
    for form in ("5", "7"):
        out = tab.generate(0, 1.0, 0, 1.0, "", 12, "poems", form, "春夏秋冬", True)
        poems = poems_in(out)
        assert len(poems) == 12 and all(poem_form(p) == int(form) and p[0] == "春" and follows_rhyme(p) for p in poems)
    before = tab.generate(0, 1.0, 0, 1.0, "", 8, "poems", "7", "")          # a call written before rhyme came
    assert before == tab.generate(0, 1.0, 0, 1.0, "", 8, "poems", "7", "", False)
    for rhyme, message in ((True, "rhyme needs a form"), ("yes", "true or false"), (None, "true or false")):
        with pytest.raises(gr.Error, match=message):
            tab.generate(0, 1.0, 0, 1.0, "", 2, "poems", "free", "", rhyme)
    assert tab.corpus_changed("poems")[-1] is False                          # a corpus switch turns it off


def test_the_step_through_marks_what_rhyme_masks():
    from test_autoregressive import chart_bars

    text = QUIET_NIGHT[:-2]                                                  # line 4's last character is next
    _, chart, choices, _ = tab.step_start(text, 1.0, 0, 1.0, "poems", "5", "", True)
    bars = chart_bars(chart)
    assert all(rhymes(b[0], "霜") and b[0] != "霜" for b in bars if b[2] > 0)
    assert any(b[2] == 0 for b in bars) and "data-masked=1" in chart and "rhyme" in chart
    free = chart_bars(tab.step_start(text, 1.0, 0, 1.0, "poems", "5", "")[1])
    assert sum(b[2] > 0 for b in free) > sum(b[2] > 0 for b in bars)
    with pytest.raises(gr.Error, match="masked"):
        tab.step_force(text, "月", 1.0, 0, 1.0, "poems", "5", "", True)
    assert tab.step_force(text, "月", 1.0, 0, 1.0, "poems", "5", "")[0] == text + "月"     # allowed without rhyme
    for seed in range(5):
        drawn = tab.step_sample(text, seed, 1.0, 0, 1.0, "poems", "5", "", True)[0]
        assert rhymes(drawn[-1], "霜") and drawn[-1] != "霜"


def test_the_poem_view_underlines_what_breaks_the_tonal_pattern():
    out = tab.generate(0, 1.0, 0, 1.0, QUATRAIN[:-1], 1, "poems", "7", "")   # the model can only close the poem
    assert poems_in(out) == [QUATRAIN]
    assert "<span class='ar-break' title='泊: 平 here, the 仄起 pattern wants 仄'>泊</span>" in out
    assert out.count("class='ar-break'") == 2                               # 泊, and the legend's sample
    assert "class='ar-pattern'" in out and ">仄起</span>" in out and "ar-legend" in out
    assert "text-decoration:underline dotted" in out
    names = tab.generate(0, 1.0, 0, 1.0, "", 5)                              # names: no tones, no legend
    assert "ar-break" not in names.split("<style>")[0] and "ar-legend" not in names.split("<style>")[0]


def test_the_rhyme_checkbox_through_http(app_url):
    """The named event through real HTTP: gradio_client with rhyme by name and by position, and a raw call
    written before rhyme came (9 values) served as before."""
    import http.client
    import json
    from urllib.parse import urlparse

    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    params = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/autoregressive_sample", "/autoregressive_step_start", "/autoregressive_step",
                 "/autoregressive_force"):
        ps = params[name]["parameters"]
        assert ps[-1]["parameter_name"] == "rhyme" and ps[-1]["parameter_default"] is False, name
        assert [p["parameter_name"] for p in ps[-4:-1]] == ["corpus", "form", "acrostic"], name
    out = client.predict(seed=3, n=10, corpus="poems", form="5", rhyme=True, api_name="/autoregressive_sample")
    assert all(poem_form(p) == 5 and follows_rhyme(p) for p in poems_in(out))
    positional = client.predict(3, 1.0, 0, 1.0, "", 10, "poems", "5", "", True, api_name="/autoregressive_sample")
    assert positional == out
    with pytest.raises(AppError, match="rhyme needs a form"):
        client.predict(corpus="poems", rhyme=True, api_name="/autoregressive_sample")
    u = urlparse(app_url)
    old = [3, 1.0, 0, 1.0, "", 10, "poems", "5", ""]                        # the inputs before rhyme
    bodies = []
    for data in (old, old + [False]):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        conn.request("POST", "/gradio_api/run/autoregressive_sample", body=json.dumps({"data": data}),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        bodies.append((r.status, json.loads(r.read())))
    assert bodies[0][0] == bodies[1][0] == 200 and bodies[0][1]["data"] == bodies[1][1]["data"]
    assert rhyme_rate(poems_in(bodies[0][1]["data"][0])) < 1                # unconstrained, as before


def test_rhyme_and_tonal_marks_in_the_browser(page):
    """The Rhyme checkbox sits with the poem controls; ticked with form 5 every poem shown rhymes; the marked
    characters are the ones tonal_check names, drawn with a dotted underline, and the legend says what they mean."""
    from conftest import open_tab

    open_tab(page, "Autoregressive")
    page.wait_for_function("() => document.querySelector('#ar_names li')")
    page.locator("#ar_corpus").get_by_text("poems", exact=True).click()
    page.wait_for_function("() => document.querySelector('#ar_names .ar-poems li')")
    assert page.locator("#ar_rhyme").is_visible()
    page.locator("#ar_form").get_by_text("5", exact=True).click()
    page.wait_for_function("() => [...document.querySelectorAll('#ar_names .ar-poems li b')].every("
                           "b => b.innerText.replace(/\\n/g, '').length === 24)")
    page.locator("#ar_rhyme input[type=checkbox]").check()
    read = """() => [...document.querySelectorAll('#ar_names .ar-poems li b')].map(b => ({
        text: b.innerText.replace(/\\n/g, ''),
        marks: [...b.querySelectorAll('.ar-break')].map(s => s.innerText),
        style: [...b.querySelectorAll('.ar-break')].map(s => getComputedStyle(s).textDecorationStyle)}))"""
    deadline = time.time() + 60                                    # the rhyming list replaces the free one
    while time.time() < deadline:
        poems = page.evaluate(read)
        if poems and all(follows_rhyme(p["text"]) for p in poems):
            break
        page.wait_for_timeout(200)
    assert poems and all(follows_rhyme(p["text"]) for p in poems)
    assert any(p["marks"] for p in poems)
    for p in poems:
        check = tonal_check(p["text"])
        assert p["marks"] == [p["text"][i] for i in check.breaks] and set(p["style"]) <= {"dotted"}
    legend = page.locator("#ar_names .ar-legend")
    assert legend.is_visible() and "tonal pattern" in legend.inner_text()
    page.screenshot(path=str(page.screenshot_dir / "ar_rhyme.png"), full_page=True)
    assert not page.errors
