"""English and Simplified Chinese through gr.I18n (ui/i18n): every key in both languages, every text the page
shows goes through the I18n, the API stays English, server errors follow the browser's Accept-Language, and a
real Chromium with a zh-CN (or en-US) locale sees the page in its language."""
from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

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
    assert locales["zh"] is locales["zh-CN"]
    assert all(locales[loc] is locales["zh-TW"] for loc in ("zh-HK", "zh-MO", "zh-Hant"))   # one Traditional catalog


def test_the_traditional_catalog_is_the_simplified_one_through_opencc(i18n):
    """ui/i18n/zh_TW.py is exactly what `python -m ui.i18n.build_zh_tw` makes of the catalog as it stands (a
    Chinese text added without a rebuild fails here), it changes the characters (not the English, numbers or
    placeholders), and every key the page has in Simplified has its Traditional form."""
    from ui.i18n import build_zh_tw, zh_TW

    assert (Path(build_zh_tw.__file__).with_name("zh_TW.py").read_text(encoding="utf-8") == build_zh_tw.render()), \
        "ui/i18n/zh_TW.py is stale: run python -m ui.i18n.build_zh_tw"
    assert zh_TW.HANT["种子"] == "種子" and zh_TW.HANT["种子必须是整数"] == "種子必須是整數"
    for zh, hant in zh_TW.HANT.items():
        assert len(hant) == len(zh) and sorted(PLACEHOLDER.findall(hant)) == sorted(PLACEHOLDER.findall(zh)), zh
    cc = build_zh_tw._Converter()
    assert i18n.ZH and set(i18n.ZH_HANT) == set(i18n.ZH)
    wrong = {k: (zh, i18n.ZH_HANT[k]) for k, zh in i18n.ZH.items() if i18n.ZH_HANT[k] != cc.convert(zh)}
    assert not wrong, wrong


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
    keys = [json.loads(s[8:])["key"] for s in shown]                  # every data set's name has its Chinese
    assert keys == ["choice." + v for v in values] and [i18n.EN[k] for k in keys] == list(values)
    assert i18n.ZH[keys[-1]].startswith("上传") and i18n.ZH["choice.mnist"] == "手写数字 MNIST"
    assert not set(i18n.EN) & {"normal", "any", "gan", "cosine", "digits"}   # values that must not become keys


def test_the_api_speaks_english(i18n, app_url):
    """Labels in /info stay the English ones (the seam's patch); without it they would be I18n tokens."""
    import app
    from gradio.blocks import Blocks

    info = app.demo.get_api_info()
    assert "__i18n__" not in json.dumps(info, default=str)
    assert [p["label"] for p in info["named_endpoints"]["/gan_grid"]["parameters"]][:4] == \
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
    for lang in ("zh-TW", "zh-Hant-HK", "zh-HK,zh;q=0.9"):
        assert grid_error(lang) == ("截斷係數必須在 0 到 2 之間", "**空閒** · 第 0 / 0 步 · 每秒 0.0 步 · cpu")
    for lang in ("en-US,en;q=0.9,zh-CN;q=0.5", "", None):
        assert grid_error(lang) == ("Truncation must be between 0 and 2", "**idle** · step 0 / 0 · 0.0 steps/s · cpu")
    for lang in ("zh", "zh-Hans-CN", "zh-SG"):
        assert i18n.tr("Seed must be a number", Request(lang)) == "种子必须是数字"


def test_poem_errors_in_chinese(i18n):
    """The poem corpus's own checks (a link's prefix and acrostic, the score box) speak Chinese to a Chinese
    request, naming the characters the model lacks."""
    from gradio.context import LocalContext

    from ui import autoregressive as A

    class Request:
        session_hash = None
        headers = {"accept-language": "zh-CN"}

    token = LocalContext.request.set(Request())
    try:
        got = []
        for call in (lambda: A._link_prefix("春x"), lambda: A._link_acrostic("春夏秋x"),
                     lambda: A.score("春x", "poems")):
            with pytest.raises(gr.Error) as e:
                call()
            got.append(e.value.message)
    finally:
        LocalContext.request.reset(token)
    assert got == ["前缀只能使用诗歌模型认识的字（不能用 'x'）。", "藏头只能使用诗歌模型认识的字（不能用 'x'）。",
                   "只能给诗歌模型认识的字打分（不能用 'x'）。"], got


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


@contextlib.contextmanager
def page_in(browser, app_url, locale):
    """The app opened in a browser whose language is `locale` (1366 px) → (page, the page's script errors)."""
    ctx = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        yield page, errors
    finally:
        ctx.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US", "zh-TW"])
def test_the_page_follows_the_browser_language(browser, app_url, locale):
    """zh-CN reads Simplified, zh-TW the same texts in Traditional characters (ui/i18n/zh_TW.py), en-US English;
    the Gradio-keyed labels, the page's own scripts (ui/js) and the server's status line alike."""
    from ui.i18n.build_zh_tw import _Converter

    zh = locale.startswith("zh")
    t = _Converter().convert if locale == "zh-TW" else (lambda text: text)     # the Simplified expectations, as read
    with page_in(browser, app_url, locale) as (page, errors):
        page.get_by_role("tab", name=t(ZH_TABS[0]) if zh else EN_TABS[0], exact=True).wait_for()
        tabs = [tab.strip() for tab in page.get_by_role("tab").all_inner_texts()]
        assert tabs[:len(EN_TABS)] == ([t(x) for x in ZH_TABS] if zh else EN_TABS)
        page.locator("#gan_seed").get_by_text(t("种子") if zh else "Seed", exact=True).wait_for()
        header = page.locator("h1").first.inner_text()
        assert (t("潜在空间实验室") in header) == zh and "Latent Lab" in header
        body = page.locator("body").inner_text()
        assert "__i18n__" not in body and "lesson." not in body
        assert (t("截断 ψ（越低越典型）") in body) == zh and ("Truncation ψ" in body) != zh
        # the page's own script (ui/js) picks the same language: the render-path line and the pictures' alt text
        page.wait_for_function("(w) => document.querySelector('#gan_render_path')?.innerText.includes(w)",
                               arg=t("渲染") if zh else "Rendering")
        page.wait_for_function("(w) => document.querySelector('#gan_img img')?.alt.includes(w)",
                               arg=t("种子") if zh else "seed")
        page.get_by_role("tab", name=t("训练") if zh else "Train", exact=True).click()
        status = page.locator("#train_status")
        status.get_by_text(t("空闲") if zh else "idle").wait_for()
        assert ("第 0 / 0 步" in status.inner_text()) == zh
        # a choice shows its name in the page's language; the value behind it stays the API's
        assert page.locator("#train_family input").input_value() == (t("生成对抗网络 (gan)") if zh else "gan")
        # ... and the page sends the value, not the shown name: an event whose inputs hold a translated choice
        # (the Gaussian tab's data: "normal", shown as 正态) is served, with no error
        page.get_by_role("tab", name=t("高斯分布") if zh else "Gaussian", exact=True).click()
        assert page.locator("#gaussian_data input").input_value() == (t("正态") if zh else "normal")
        page.locator("#gaussian_summary table").wait_for()
        page.wait_for_function("(w) => document.querySelector('#gaussian_summary')?.innerText.includes(w)",
                               arg=t("负对数似然（每个数的奈特数）") if zh else "NLL (nats per number)")   # ui/js/50
        before = page.locator("#gaussian_summary").inner_text()
        page.locator("#gaussian_step_btn").click()
        page.wait_for_function("(b) => document.querySelector('#gaussian_summary')?.innerText !== b", arg=before)
        page.wait_for_timeout(1000)
        assert not page.locator(".toast-body.error").count(), page.locator(".toast-body").all_inner_texts()
        assert not errors, errors


# ----------------------------------------------------------------------------- what was still English (issue 19)
CJK = re.compile(r"[\u4e00-\u9fff]")
# what a translation must keep from the English: quoted names, numbers, file names ("2D", "1-D" become 二维, 一维)
KEPT = re.compile(r"'[^']*'|[\w-]+\.(?:zip|npy|txt|png|json|safetensors)|(?:\d[\d,.]*\d|\d)(?!-?D\b)")


class _Request:
    session_hash = None

    def __init__(self, lang):
        self.headers = {"accept-language": lang}


@pytest.fixture
def asking():
    """asking(lang): the event's request (as Gradio's context holds it) asks for `lang`, until the test ends."""
    from gradio.context import LocalContext

    tokens = []

    def ask(lang):
        tokens.append(LocalContext.request.set(_Request(lang) if lang else None))

    yield ask
    for token in reversed(tokens):
        LocalContext.request.reset(token)


def _engine_errors(tmp_path) -> list[tuple[str, str]]:
    """(what, message) for errors the engine raises on bad input a UI user can send: uploads, checkpoints,
    sampling options and config checks, each triggered for real."""
    import json as json_
    import shutil
    import zipfile

    import numpy as np
    import torch

    import generators
    from generators import base, data, recipe
    from ui import common as C

    def file(name, content: bytes):
        (tmp_path / name).write_bytes(content)
        return tmp_path / name

    def npy(name, a):
        np.save(tmp_path / name, a)
        return tmp_path / name

    one_bad_image = tmp_path / "bad.zip"
    with zipfile.ZipFile(one_bad_image, "w") as z:
        z.writestr("a.png", b"not a png")
    few_images = tmp_path / "few.zip"
    with zipfile.ZipFile(few_images, "w") as z:
        z.writestr("readme.md", b"no images")
    run = tmp_path / "run.safetensors"                       # a saved run whose step count is not a step count
    weights, config = base.checkpoint_paths(generators.resolve_checkpoint("gaussian-8gaussians"))
    shutil.copy(weights, run)
    meta = json_.loads(config.read_text())
    (tmp_path / "run.json").write_text(json_.dumps({**meta, "steps": -5}))

    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    gan, vae, diff, ar = (C.pretrained(n) for n in ("gan-mnist", "vae-mnist", "diffusion-mnist",
                                                    "autoregressive-names"))
    cases = {
        "txt lines": lambda: data.load_user_data(file("few.txt", b"ann\nbob\n")),
        "txt utf-8": lambda: data.load_user_data(file("latin1.txt", b"\xe9t\xe9\n" * 20)),
        "not a zip": lambda: data.load_user_data(file("fake.zip", b"hello")),
        "bad image": lambda: data.load_user_data(one_bad_image),
        "few images": lambda: data.load_user_data(few_images),
        "npy shape": lambda: data.load_user_data(npy("cube.npy", np.zeros((20, 3)))),
        "npy finite": lambda: data.load_user_data(npy("nan.npy", np.full((20, 2), np.nan))),
        "npy rows": lambda: data.load_user_data(npy("few.npy", np.zeros((3, 2)))),
        "extension": lambda: data.load_user_data(file("points.csv", b"1,2")),
        "empty image": lambda: data.image_to_gray(b"", "digit.png"),
        "dataset": lambda: data.load_dataset("nope"),
        "checkpoint": lambda: generators.load("nope-7"),
        "config json": lambda: base.read_meta(file("model.json", b"{not json")),
        "safetensors": lambda: base.read_safetensors(file("model.safetensors", b"abc")),
        "run steps": lambda: recipe.load_run(run, device="cpu"),
        "truncation": lambda: gan.sample(1, generator=g(), truncation=5),
        "label": lambda: gan.sample(1, generator=g(), labels=12),
        "labels": lambda: gan.sample(2, generator=g(), labels=[1, 2, 3]),
        "vae temperature": lambda: vae.sample(1, generator=g(), temperature=-1),
        "prior": lambda: vae.sample(1, generator=g(), prior="weird"),
        "diffusion steps": lambda: diff.sample(1, generator=g(), steps=0),
        "guidance": lambda: diff.sample(1, generator=g(), guidance=50),
        "temperature": lambda: ar.sample(1, generator=g(), temperature=-1),
        "top-k": lambda: ar.sample(1, generator=g(), top_k=-1),
        "top-p": lambda: ar.sample(1, generator=g(), top_p=2),
        "no labels": lambda: ar.sample(1, generator=g(), labels=1),
        "whole number": lambda: generators.REGISTRY["gan"].Config(latent_dim=0),
        "choices": lambda: generators.REGISTRY["gan"].Config(arch="weird"),
    }
    out = []
    for what, call in cases.items():
        with pytest.raises(generators.EngineError) as e:        # each one keyed (generators/errors.py)
            call()
        out.append((what, e.value))
    return out


def test_engine_errors_in_chinese_keep_their_numbers_and_names(i18n, tmp_path, asking):
    """The engine raises a key and its values (str(): the English tests, the CLI and API callers match);
    I.engine_message shows it in the request's language, with every number, quoted name and file name of the
    English in the Chinese."""
    from ui import common as C

    errors = _engine_errors(tmp_path)
    messages = {str(e) for _, e in errors}
    assert len(messages) >= 15, errors
    asking("zh-CN,zh;q=0.9")
    untranslated, lost, chinese = [], [], set()
    for what, e in errors:
        zh = i18n.engine_message(e)
        chinese.add(zh)
        if zh == str(e) or not CJK.search(zh):
            untranslated.append((what, str(e)))
            continue
        lost += [(what, kept, zh) for kept in KEPT.findall(str(e)) if kept not in zh]
    assert not untranslated, untranslated
    assert not lost, lost
    assert len(chinese) == len(messages)                                    # no two collapse into one text
    # through the UI's own path: engine_errors → I.error, in the request's language
    bad = C.engine_errors(lambda: C.pretrained("gan-mnist").sample(1, generator=None, truncation=5))
    asking("zh-CN,zh;q=0.9")
    with pytest.raises(gr.Error) as e:
        bad()
    assert e.value.message == "truncation 必须在 0..2 范围内"
    asking("en-US")
    with pytest.raises(gr.Error) as e:
        bad()
    assert e.value.message == "truncation must be in 0..2"


def test_an_engine_error_in_chinese_through_the_server(i18n, app_url):
    """generators/gaussian.py's "'x' is not a number", raised under the Gaussian tab's fit, over HTTP."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    for headers, want in (({"Accept-Language": "zh-CN,zh;q=0.9"}, "'x' 不是数字"), ({}, "'x' is not a number")):
        with pytest.raises(AppError) as e:
            Client(app_url, headers=headers, verbose=False).predict("my numbers", "1, 2, x", 0, 200, 0.1, 0,
                                                                   api_name="/gaussian_fit")
        assert want in str(e.value)


def _figure_texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def _figures() -> dict[str, object]:
    """Every kind of figure the ui modules localize, made by their own handlers (tiny inputs)."""
    import torch

    import generators
    from generators.data import Dataset
    from ui import classroom, diffusion, gan, gaussian, train_views
    from ui import common as C

    state, fit_fig, _ = gaussian.fit("normal", "", 0, 200, 0.1, 3)
    _, disc_fig = gaussian.discriminate(state, "normal", "", 0, 200)
    frames, _, _ = diffusion.particles(0, 100, 1)
    gaussian_2d, gan_2d = generators.REGISTRY["gaussian"], generators.REGISTRY["gan"]
    run = train_views.Run(model=gaussian_2d(gaussian_2d.config_for("8gaussians")), family="gaussian",
                          samples=torch.zeros(50, 2))
    gan_run = train_views.Run(model=gan_2d(gan_2d.config_for("8gaussians")), family="gan", samples=torch.zeros(50, 2))
    numbers = Dataset("my numbers", "values", x=torch.randn(40, 1, generator=torch.Generator().manual_seed(0)))
    values_run = train_views.Run(model=gaussian_2d(gaussian_2d.Config(dim=1, components=2)), family="gaussian",
                                 dataset=numbers, samples=torch.zeros(8))
    images = Dataset("my images", "image", x=torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    vae_run = train_views.Run(model=C.pretrained("vae-mnist"), family="vae", dataset=images)
    return {"gaussian fit": fit_fig, "gaussian discriminator": disc_fig, "classroom": classroom.figure(
            classroom.new_lesson(0)), "particles": diffusion.particle_plot(frames, 1),
            "train 2d": train_views.figure_2d(run), "train 2d gan": train_views.figure_2d(gan_run),
            "train numbers": train_views.figure_2d(values_run), "train vae": train_views.figure_2d(vae_run),
            "gan points": gan.scatter_2d(0, 50)}


def test_figures_are_chinese_for_a_chinese_request_when_a_cjk_font_exists(i18n, asking, monkeypatch):
    """Titles, axis labels and legends of the matplotlib figures follow the request's language, drawn in a CJK
    font; an English request gets exactly the texts it got before; without a CJK font they stay English
    (Chinese would draw as boxes)."""
    from ui import diffusion

    font = i18n.cjk_font()
    assert font in i18n.CJK_FONTS, "no CJK font for matplotlib: apt-get install fonts-wqy-microhei"
    before = {k: _figure_texts(f) for k, f in _figures().items()}
    assert "The data and the two fits" in before["gaussian fit"] and "real" in before["train 2d"]
    assert "after 0 D steps and 0 G steps" in before["classroom"]
    asking("en-US,en;q=0.9")
    assert {k: _figure_texts(f) for k, f in _figures().items()} == before
    asking("zh-CN,zh;q=0.9")
    figs = _figures()
    for name, fig in figs.items():
        texts = _figure_texts(fig)
        assert len(texts) == len(before[name]), name
        chinese = [t for t in texts if CJK.search(t)]
        assert chinese, (name, texts)
        # every English text that has words (not a tick number, not a model name) became Chinese
        left = [t for t, was in zip(texts, before[name]) if t == was and re.search(r"[a-z]{3}", t)
                and not re.fullmatch(r"[\w-]+-\w+", t)]
        assert not left, (name, left)
    assert "数据与两种拟合" in _figure_texts(figs["gaussian fit"])
    assert "D 走了 0 步、G 走了 0 步之后" in _figure_texts(figs["classroom"])
    from matplotlib.text import Text

    fonts = {tuple(t.get_fontfamily()) for t in figs["gaussian fit"].findobj(Text) if CJK.search(t.get_text())}
    assert fonts == {(font, "DejaVu Sans")}
    # the noise-schedule picture (an array, cached per language) differs only by its legend's language
    assert (diffusion._alpha_curve(True) != diffusion._alpha_curve(False)).any()
    monkeypatch.setattr(i18n, "cjk_font", lambda: None)       # a machine without a CJK font: English figures
    assert {k: _figure_texts(f) for k, f in _figures().items()} == before


def test_the_next_character_charts_legend_names_every_rule_in_chinese(i18n, asking):
    """The sampled series' name lists what shapes it (cuts, form, acrostic, rhyme): each part in Chinese."""
    from ui import autoregressive

    asking("zh-CN,zh;q=0.9")
    label = autoregressive._sampled_label(1, 0, 1.0, 5, "春夏秋冬", True)
    assert label == "采样（T = 1，不截断，每句 5 字，藏头 春夏秋冬，押韵）", label
    asking("en-US")
    assert autoregressive._sampled_label(1, 0, 1.0, 5, "春夏秋冬", True) == \
        "sampled (T = 1, no cut, form 5, acrostic 春夏秋冬, rhyme)"


def test_a_timelapse_frames_step_is_written_in_the_readers_language(i18n, asking):
    """The Train tab's timelapse GIF writes each frame's step on it: 第 40 步 in the CJK font for a Chinese reader
    (different pixels from "step 40"), "step 40" for anyone else."""
    import numpy as np

    from ui import train_views

    blank = np.zeros((24, 96, 3), np.uint8)
    asking("en-US")
    en = train_views._stamp(blank, 40)
    asking("zh-CN,zh;q=0.9")
    zh = train_views._stamp(blank, 40)
    assert i18n.pil_cjk_font(12) is not None and en.any() and zh.any() and (en != zh).any()
    assert i18n.tr("step {step}") == "第 {step} 步"


def test_the_loss_chart_reads_in_the_readers_language(i18n, asking):
    """The Train tab's loss chart: axes and legend in Chinese for a Chinese reader (each family's loss names in
    the catalog); an English reader and the API's columns are unchanged."""
    from ui import train_views

    history = [(2, f"run 2: {k}", step, 0.5) for k in ("d_loss", "g_loss", "d_real", "d_fake", "d_class", "loss",
                                                        "reconstruction", "kl", "elbo", "nll") for step in (1, 2)]
    run = train_views.Run(history=[(1, "run 1: loss", 1, 0.9), *history], run_id=2)
    asking("en-US")
    en = train_views.curve_update(run)
    assert en.x_title is None and set(en.value["data"][i][2] for i in range(len(en.value["data"]))) >= {"run 2: d_loss"}
    asking("zh-CN,zh;q=0.9")
    zh = train_views.curve_update(run)
    assert (zh.x_title, zh.y_title, zh.color_title) == ("步", "损失", "曲线")
    assert zh.value["columns"] == ["step", "loss", "series"]
    shown = {row[2] for row in zh.value["data"]}
    assert {"第 2 次运行：判别器损失", "第 2 次运行：重构误差", "第 1 次运行：损失"} <= shown, shown
    assert not [s for s in shown if re.search(r"[a-z]{2}", s)], shown
    assert zh.color_map["第 1 次运行：损失"] == "#c8c8c8"          # earlier runs stay grey under their Chinese names
    asking("zh-TW")
    assert "第 2 次運行：判別器損失" in {row[2] for row in train_views.curve_update(run).value["data"]}


def test_diagram_and_table_texts_have_page_translations(i18n):
    """Every text with words in the lessons' diagrams, every Compare column and floor row, has a PAGE entry, and
    app.py hands PAGE to the page (ui/js/50-i18n-page.js translates with it)."""
    import html

    import app
    from ui import compare, gaussian, lessons
    from ui.i18n import zh_CN

    svgs = [lessons.gan(), lessons.vae(), lessons.diffusion(), lessons.autoregressive(), lessons.train(),
            lessons.compare(["GAN", "VAE", "Diffusion"]), gaussian.diagram()]
    texts = {html.unescape(a or b) for svg in svgs
             for a, b in re.findall(r"<text[^>]*>(.*?)</text>|<figcaption>(.*?)</figcaption>", svg)}
    # formulas and code names are the same in Chinese; every other text with a word needs a translation
    formulas = {"z ~ N(0, I)", "= G(z, y)", "ConvTranspose ×3", "Conv ×3 → logit", "D(x) ∈ (0, 1)", "q(z | x)",
                "z = μ + σ·ε", "ε ~ N(0, I)", "p(x | z)", "UNet ε_θ(x_t, t, y)", "p(next | m a r)",
                "softmax(logits / T)", "train_step", "N(μ, σ²)", "NLL L(μ, σ)", "−Σ log N(xᵢ; μ, σ²)",
                "x ~ N(μ, σ²)"}
    assert formulas <= texts
    worded = {t for t in texts if re.search(r"[A-Za-z]{2}", t)} - formulas
    assert len(worded) > 60
    assert not [t for t in worded if t not in zh_CN.PAGE], sorted(t for t in worded if t not in zh_CN.PAGE)
    assert set(compare.COLUMNS) | set(compare.REAL_ROWS.values()) <= set(zh_CN.PAGE)
    for en, zh in zh_CN.PAGE.items():
        assert sorted(PLACEHOLDER.findall(en)) == sorted(PLACEHOLDER.findall(zh)), en
        assert "}" not in en.replace("{", "").replace("}", "") and zh.strip()
    head = app._head()
    assert head.index("50-i18n-page.js") < head.index("window.LatentLab.pageZh = ") < head.index("<style>")
    assert json.loads(head.split("window.LatentLab.pageZh = ", 1)[1].split(";</script>", 1)[0]) == zh_CN.PAGE


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_tables_and_diagrams_follow_the_page_language(browser, app_url, locale):
    """The Compare table's headers and floor rows, the Gaussian summary and a lesson's diagram are translated in
    the page (their values stay English: the API's table has the English columns); an en-US page is unchanged."""
    import urllib.request

    from ui import compare
    from ui.i18n import zh_CN

    zh = locale == "zh-CN"
    want = (lambda en: zh_CN.PAGE[en]) if zh else (lambda en: en)      # noqa: E731
    with page_in(browser, app_url, locale) as (page, errors):
        page.get_by_role("tab", name="比较" if zh else "Compare", exact=True).click()
        headers = [want(c) for c in compare.COLUMNS]
        page.wait_for_function("(h) => [...document.querySelectorAll('#cmp_table th')].map((e) => "
                               "e.innerText.trim()).join('|').startsWith(h)", arg="|".join(headers))
        page.wait_for_function("(w) => document.querySelector('#cmp_table').innerText.includes(w)",
                               arg=want(compare.REAL))
        assert ("real digits" in page.locator("#cmp_table").inner_text()) != zh
        page.locator("#tab_compare").get_by_text("原理讲解" if zh else "How it works", exact=True).click()
        page.locator("#cmp_diagram svg").get_by_text(want("feature network"), exact=True).wait_for()
        assert page.locator("#cmp_diagram svg").get_attribute("aria-label") == \
            want("Compare: one yardstick for every family")
        page.get_by_role("tab", name="高斯分布" if zh else "Gaussian", exact=True).click()
        page.locator("#gaussian_summary").get_by_text(want("closed form (mean, 1/N std)"), exact=True).wait_for()
        assert ("梯度下降，第 0 步" in page.locator("#gaussian_summary").inner_text()) == zh
        assert "common.complete" not in page.locator("body").inner_text()     # Gradio's key, missing in its lists
        assert not errors, errors
    # what the page was sent (and what the API returns) is the English table, whatever the browser's language
    request = urllib.request.Request(f"{app_url}/config", headers={"Accept-Language": locale})
    config = json.loads(urllib.request.urlopen(request, timeout=60).read())
    table = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "cmp_table")
    assert table["props"]["value"]["headers"] == compare.COLUMNS
    assert compare.REAL in json.dumps(table["props"]["value"]["data"], ensure_ascii=False)


def test_server_made_lines_follow_the_request(i18n, asking):
    """The diffusion tab's forward-process line and the Compare tab's text samples line: Chinese for a Chinese
    request, the same English as before otherwise."""
    from ui import compare, diffusion

    english = diffusion.forward("5", 250, 0)[2], compare.side_by_side(0, "7")[1]
    assert english[0].startswith("t = 250: ") and "× the digit +" in english[0]
    assert "from the same seed: " in english[1]
    asking("en-US")
    assert (diffusion.forward("5", 250, 0)[2], compare.side_by_side(0, "7")[1]) == english
    asking("zh-CN")
    line, names = diffusion.forward("5", 250, 0)[2], compare.side_by_side(0, "7")[1]
    assert line == english[0].replace(": ", "：").replace("the digit", "数字").replace("noise", "噪声")
    assert names.startswith("同一种子生成的名字：")
    assert names.replace("同一种子生成的名字：", "Names from the same seed: ").replace(
        "同一种子生成的诗：", "Poems from the same seed: ") == english[1]
