"""English and Simplified Chinese through gr.I18n (ui/i18n): every key in both languages, every text the page
shows goes through the I18n, the API stays English, server errors follow the browser's Accept-Language, and a
real Chromium with a zh-CN (or en-US) locale sees the page in its language."""
from __future__ import annotations

import json
import re

import gradio as gr
import pytest
from gradio.i18n import I18nData

PLACEHOLDER = re.compile(r"\{(\w+)\}")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]+\$", re.S)
CODE = re.compile(r"`[^`]+`")
# texts that are the same in every language: symbols, latent coordinates, file formats, sampler names, letters
NEUTRAL = re.compile(r"^(🎲|Δ?z\[\d+\]|PNG|GIF|t|N|Top-p|[A-Z]+-\d+( · [A-Z]+-\d+)*)$")


@pytest.fixture(scope="module")
def i18n():
    import app  # noqa: F401  (builds and localizes the demo)
    from ui import i18n
    return i18n


def test_every_key_in_both_languages_with_the_same_placeholders(i18n):
    from ui.i18n import zh_CN

    assert i18n.EN and set(i18n.EN) == set(i18n.ZH)
    for k in i18n.EN:
        assert i18n.EN[k].strip() and i18n.ZH[k].strip(), k
        assert "}" not in k, k                               # Gradio's frontend ends a key at the first "}"
        assert not re.search(r"[\u4e00-\u9fff]", i18n.EN[k]), k
        assert re.search(r"[\u4e00-\u9fff]", i18n.ZH[k]) or k in ("VAE β",), (k, i18n.ZH[k])
    for en, zh in zh_CN.TEXTS.items():
        assert zh.strip(), en
        assert sorted(PLACEHOLDER.findall(en)) == sorted(PLACEHOLDER.findall(zh)), en
    assert set(zh_CN.LONG) == set(i18n.LONG_SOURCES) | {"header"}
    import app
    english = i18n.english_long_texts({"header": app.HEADER})
    for name, zh in zh_CN.LONG.items():                      # equations and code spans exactly as in English
        assert sorted(MATH.findall(zh)) == sorted(MATH.findall(english[name])), name   # word order may differ
        assert sorted(CODE.findall(zh)) == sorted(CODE.findall(english[name])), name
        assert "__i18n__" not in zh and zh.strip()
    locales = i18n.I18N.translations_dict
    assert set(locales) == {"en", "zh-CN", "zh", "zh-TW", "zh-HK", "zh-MO", "zh-Hant"}
    assert locales["zh"] is locales["zh-CN"] and locales["zh-TW"] is locales["en"]   # no Traditional yet: English


def _shown_texts(demo):
    """(block, prop, value) for every label/info/placeholder and Markdown/Button text the built page holds."""
    for block in demo.blocks.values():
        for prop in ("label", "info", "placeholder"):
            value = getattr(block, prop, None)
            if value is not None and str(value).strip():
                yield block, prop, value
        if isinstance(block, (gr.Markdown, gr.Button)) and block.value and str(block.value).strip():
            yield block, "value", block.value
        if isinstance(block, (gr.Radio, gr.Dropdown, gr.CheckboxGroup)):
            for shown, value in block.choices or []:
                if not _neutral_choice(str(shown)):
                    yield block, f"choice {value!r}", shown


def _neutral_choice(shown: str) -> bool:
    """A choice whose name is the same in every language: a number, a dataset, sampler or loss name, N(0, I)."""
    from generators.data import DATASETS

    return bool(re.fullmatch(r"\d+|N\(0, I\)|euler|heun|ddpm|ddim|bce|hinge|wgan-gp", shown)) or shown in DATASETS


def test_every_shown_text_goes_through_the_i18n(i18n):
    import app

    left, n = [], 0
    for block, prop, value in _shown_texts(app.demo):
        key = value.key if isinstance(value, I18nData) else None
        if isinstance(value, str) and value.startswith("__i18n__"):
            key = json.loads(value[8:])["key"]
        if key is None:
            if not NEUTRAL.match(str(value)):
                left.append((type(block).__name__, prop, getattr(block, "elem_id", None), value))
            continue
        n += 1
        assert key in i18n.EN and key in i18n.ZH, key
    assert not left, left
    assert n > 150
    assert all(NEUTRAL.match(t) for t in i18n.LEFT), [t for t in i18n.LEFT if not NEUTRAL.match(t)]
    titles = [b.label for b in app.demo.blocks.values() if isinstance(b, gr.Tab)]
    assert titles and all(isinstance(t, I18nData) for t in titles)
    assert [i18n.EN[t.key] for t in titles] == [t for t, _, _ in app.TABS]


def test_choices_set_by_an_event_are_translated_too(i18n):
    """The Train tab's dataset choices change with the family: their shown names are keys, their values not."""
    from ui import train

    update = train.family_changed("vae")[0]
    shown, values = zip(*update["choices"])
    assert values == tuple(train.datasets_for("vae")) and values[-1] == train.UPLOAD
    assert shown[:-1] == values[:-1]                                  # dataset names are the same in Chinese
    assert json.loads(shown[-1][8:])["key"] == train.UPLOAD and i18n.ZH[train.UPLOAD].startswith("上传")


def test_the_api_speaks_english(i18n, app_url):
    """Labels in /info stay the English ones (the seam's patch); without it they would be I18n tokens."""
    import app
    from gradio.blocks import Blocks

    info = app.demo.get_api_info()
    assert "__i18n__" not in json.dumps(info, default=str)
    assert [p["label"] for p in info["named_endpoints"]["/gan_grid"]["parameters"]] == \
        ["Seed", "Class", "Truncation ψ (lower = more typical)", "Samples"]
    assert "__i18n__" in json.dumps(Blocks.get_api_info.__wrapped__(app.demo), default=str)   # the seam matters
    from gradio_client import Client

    api = Client(app_url, verbose=False).view_api(print_info=False, return_format="dict")
    assert "__i18n__" not in json.dumps(api)


def test_server_errors_follow_accept_language(i18n):
    from gradio.context import LocalContext

    from ui import gan
    from ui.train_views import Run, status_text

    class Request:
        session_hash = None

        def __init__(self, lang):
            self.headers = {"accept-language": lang}

    def grid_error(lang):
        token = LocalContext.request.set(Request(lang) if lang else None)
        try:
            with pytest.raises(gr.Error) as e:
                gan.grid(0, "any", 5, 4)
            return e.value.message, status_text(Run())
        finally:
            LocalContext.request.reset(token)

    assert grid_error("zh-CN,zh;q=0.9,en;q=0.8") == ("截断系数必须在 0 到 2 之间", "**空闲** · 第 0 / 0 步 · 每秒 0.0 步 · cpu")
    for lang in ("en-US,en;q=0.9,zh-CN;q=0.5", "zh-TW", "zh-Hant-HK", "", None):
        assert grid_error(lang) == ("Truncation must be between 0 and 2", "**idle** · step 0 / 0 · 0.0 steps/s · cpu")
    for lang in ("zh", "zh-Hans-CN", "zh-SG"):
        assert i18n.tr("Seed must be a number", Request(lang)) == "种子必须是数字"


def test_a_chinese_error_through_the_server(i18n, app_url):
    """A real call over HTTP: the browser's Accept-Language picks the error's language; none gives English.
    (gan_render takes its inputs raw, so our validator answers, not the slider's own bounds check.)"""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    for headers, want in (({"Accept-Language": "zh-CN,zh;q=0.9"}, "截断系数必须在 0 到 2 之间"),
                          ({}, "Truncation must be between 0 and 2")):
        with pytest.raises(AppError) as e:
            Client(app_url, headers=headers, verbose=False).predict(0, "any", 5, *[0.0] * 24,
                                                                       api_name="/gan_render")
        assert want in str(e.value)


ZH_TABS = ["生成对抗网络", "变分自编码器", "扩散模型", "自回归模型", "高斯分布", "训练", "比较"]
EN_TABS = ["GAN", "VAE", "Diffusion", "Autoregressive", "Gaussian", "Train", "Compare"]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US", "zh-TW"])
def test_the_page_follows_the_browser_language(browser, app_url, locale):
    zh = locale == "zh-CN"                 # zh-TW: English until there is a Traditional translation
    ctx = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("tab", name=(ZH_TABS if zh else EN_TABS)[0], exact=True).wait_for()
        tabs = [t.strip() for t in page.get_by_role("tab").all_inner_texts()]
        assert tabs[:len(EN_TABS)] == (ZH_TABS if zh else EN_TABS)
        page.locator("#gan_seed").get_by_text("种子" if zh else "Seed", exact=True).wait_for()
        header = page.locator("h1").first.inner_text()
        assert ("潜在空间实验室" in header) == zh and "Latent Lab" in header
        body = page.locator("body").inner_text()
        assert "__i18n__" not in body and "lesson." not in body
        assert ("截断 ψ（越低越典型）" in body) == zh and ("Truncation ψ" in body) != zh
        # the page's own script (ui/js) picks the same language: the render-path line and the pictures' alt text
        page.wait_for_function("(w) => document.querySelector('#gan_render_path')?.innerText.includes(w)",
                               arg="渲染" if zh else "Rendering")
        page.wait_for_function("(w) => document.querySelector('#gan_img img')?.alt.includes(w)",
                               arg="种子" if zh else "seed")
        page.get_by_role("tab", name="训练" if zh else "Train", exact=True).click()
        status = page.locator("#train_status")
        status.get_by_text("空闲" if zh else "idle").wait_for()
        assert ("第 0 / 0 步" in status.inner_text()) == zh
        # a choice shows its name in the page's language; the value behind it stays the API's
        assert page.locator("#train_family input").input_value() == ("生成对抗网络 (gan)" if zh else "gan")
        assert not errors, errors
    finally:
        ctx.close()
