"""The image tabs' model picker (issue 20): digits | emoji on the GAN, VAE and Diffusion tabs, with the shipped
checkpoints — colour 32×32 pictures, classes picked by emoji group name, bad values refused, links that restore
the picker, the emoji row of Compare, and the emoji GAN drawn by the page in Chromium."""
from __future__ import annotations

import base64
import io
import urllib.request
from urllib.parse import parse_qsl, urlsplit

import gradio as gr
import numpy as np
import pytest
import torch

from generators.base import make_generator
from generators.datasets.emoji import EMOJI_GROUPS
from ui import common as C
from ui import compare as CMP
from ui import diffusion as DF
from ui import gan as GAN
from ui import i18n as I
from ui import share
from ui import vae as VAE

from conftest import open_tab

PICKERS = {"gan": "gan_model", "vae": "vae_model", "diffusion": "diff_model"}
ZERO = [0.0] * (GAN.N_PCA + GAN.N_RAW)


def colourful(img: np.ndarray) -> float:
    """Share of pixels whose channels differ by more than 40/255 (0 for a grey picture)."""
    if img.ndim == 2:
        return 0.0
    c = img.astype(np.int16)
    return float(((c.max(-1) - c.min(-1)) > 40).mean())


@pytest.fixture(scope="module")
def demo():
    import app
    return app.demo


def test_every_image_tab_has_the_picker_and_its_events_take_it_last(demo):
    radios = {b.elem_id: b for b in demo.blocks.values() if isinstance(b, gr.Radio)}
    for family, elem_id in PICKERS.items():
        r = radios[elem_id]
        assert [v for _, v in r.choices] == ["digits", "emoji"] and r.value == "digits", family
    events = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    for api in ("gan_render", "gan_render_seed", "gan_grid", "gan_png", "gan_interpolate", "gan_interp_point",
                "vae_grid", "vae_png", "vae_random_latent", "vae_interpolate", "diffusion_render", "diffusion_png",
                "diffusion_watch", "diffusion_forward", "diffusion_compare"):
        picker = events[api].inputs[-1]
        assert picker.elem_id in PICKERS.values(), api
    assert events["vae_render"].inputs[-2].elem_id == "vae_model"          # then the emoji VAE's group


def test_emoji_gives_colour_32px_pictures_on_every_tab_and_digits_stay_grey():
    digit = GAN.render(0, "any", 1.0, *ZERO)                  # an older caller: no picker value → digits
    assert digit.shape == (224, 224) and np.array_equal(digit, GAN.render(0, "any", 1.0, *ZERO, "digits"))
    pictures = {"gan": GAN.render(0, "3", 1.0, *ZERO, "emoji"), "gan grid": GAN.grid(0, "any", 1.0, 4, "emoji"),
                "gan path": GAN.interp_point(0, 1, "2", 1.0, 0.5, "emoji"),
                "vae": VAE.render(*[0.0] * 16, "emoji", "3"), "vae grid": VAE.api_grid(0, 4, 1.0, "emoji"),
                "diffusion": DF.render(0, "3", "euler", 4, 0.0, 2.0, 1, "emoji")}
    for name, img in pictures.items():
        assert img.ndim == 3 and img.shape[2] == 3, name
        assert colourful(img) > 0.05, (name, colourful(img))
    for name in ("gan", "vae", "diffusion"):                  # one 32×32 picture, each pixel an 8×8 block
        assert pictures[name].shape == (256, 256, 3), name
    assert VAE.render(*[0.0] * 16).shape == (224, 224) and DF.render(0, "3", "euler", 4, 0.0, 2.0, 1).ndim == 2


def test_the_class_picker_lists_the_emoji_groups_by_name_and_draws_the_group_picked():
    update = GAN.picked("emoji", "9")[0]                     # digit 9 is no emoji group: back to any
    shown = {I.english(name): value for name, value in update["choices"]}
    assert list(shown) == ["any", *EMOJI_GROUPS] and update["value"] == "any"
    food = shown["Food & Drink"]
    assert food == "3" and GAN.picked("emoji", food)[0]["value"] == food
    model = C.pretrained("gan-emoji")
    with torch.no_grad():                                    # the tab's picture is the engine's sample of that group
        g = make_generator(5, model.device)
        want = C.grid_image(model.sample(1, generator=g, latents=model.steered_latent(g, pca=ZERO[:8],
                                                                                       offsets=ZERO[8:]),
                                         labels=3, truncation=1.0), scale=8)
    assert np.array_equal(GAN.render(5, food, 1.0, *ZERO, "emoji"), want)
    assert not np.array_equal(GAN.render(5, "0", 1.0, *ZERO, "emoji"), want)
    # and the emoji feature network reads the group: the asked one is what most of 16 samples are read as
    from generators.metrics import load_classifier

    clf = load_classifier("emoji-features")
    for name in ("Animals & Nature", "Flags"):
        k = EMOJI_GROUPS.index(name)
        x = model.sample(16, generator=make_generator(0, model.device), labels=k).cpu()
        _, p = clf.embed(x)
        assert torch.bincount(p.argmax(1), minlength=9).argmax().item() == k, name
    vae = VAE.picked("emoji", "9", "1", "7")                   # the VAE's group picker shows for emoji only
    assert vae[0]["visible"] and [I.english(n) for n, _ in vae[0]["choices"]] == list(EMOJI_GROUPS)
    assert VAE.picked("digits", "0", "1", "7")[0]["visible"] is False
    assert not np.array_equal(VAE.render(*[0.0] * 16, "emoji", "3"), VAE.render(*[0.0] * 16, "emoji", "8"))


def test_a_bad_model_value_is_a_clear_error_on_every_tab():
    calls = [lambda m: GAN.render(0, "any", 1.0, *ZERO, m), lambda m: GAN.grid(0, "any", 1.0, 4, m),
             lambda m: GAN.picked(m, "any"), lambda m: VAE.render(*[0.0] * 16, m, "0"),
             lambda m: VAE.api_grid(0, 4, 1.0, m), lambda m: DF.render(0, "3", "euler", 2, 0.0, 2.0, 1, m),
             lambda m: DF.forward("5", 10, 0, m)]
    for call in calls:
        for bad in ("cats", None, 3, "Emoji", ["emoji"]):
            with pytest.raises(gr.Error, match="Model must be one of: digits, emoji"):
                call(bad)
    with pytest.raises(gr.Error, match="Class must be between 0 and 8"):
        GAN.render(0, "9", 1.0, *ZERO, "emoji")                # ten digits, nine emoji groups
    with pytest.raises(gr.Error, match="Drawings are digits"):
        VAE.interpolate("my drawing", "1", None, "held-out example", "7", None, 4, "emoji")


def test_emoji_downloads_and_interpolations_are_named_and_coloured():
    strip, gif = GAN.interpolate(0, 1, "4", 3, 1.0, "emoji")
    assert colourful(strip) > 0.05 and gif.endswith("gan-emoji_interp_seed0-to-seed1_class-4.gif")
    assert GAN.grid_png(7, "3", 0.7, 4, "emoji").endswith("gan-emoji_seed7_class-3_trunc0.7.png")
    strip, gif = VAE.interpolate("held-out example", "2", None, "held-out example", "8", None, 4, "emoji")
    assert strip.shape[2] == 3 and colourful(strip) > 0.05 and gif.endswith("vae-emoji_interp_4frames.gif")
    assert DF.grid_png(3, "5", "euler", 2, 0.0, 2.0, 1, "emoji").endswith("diffusion-emoji_seed3_class-5_euler2_eta0_w2_n1.png")
    pair, _, text = DF.forward("8", 300, 0, "emoji")          # a held-out flag, noised
    assert pair.shape[2] == 3 and "× noise" in text


def test_links_carry_the_picker(demo):
    tab, values, notes = share.apply_query({"tab": "gan", "model": "emoji", "label": "3"}, share.PARAMS)
    assert (tab, values, notes) == ("gan", {"model": "emoji", "label": "3"}, [])
    for t in ("vae", "diffusion"):
        assert share.apply_query({"tab": t, "model": "emoji"}, share.PARAMS)[1] == {"model": "emoji"}
    _, values, notes = share.apply_query({"tab": "gan", "model": "cats"}, share.PARAMS)
    assert values == {} and notes and notes[0].startswith("model=cats (Model must be one of: digits, emoji")
    params = share.PARAMS["gan"]
    q = share.query_string("gan", [("emoji" if p.name == "model" else p.default) for p in params], params)
    assert dict(parse_qsl(q)) == {"tab": "gan", "model": "emoji"}          # digits, the default, is left out


def test_compare_draws_the_emoji_models_in_a_second_row():
    assert CMP.IMAGE_GROUPS["emoji"] == ("gan-emoji", "vae-emoji", "diffusion-emoji")
    digits_only, _ = CMP._stack([[CMP._same_seed(n, 0, 9) for n in CMP.IMAGE_MODELS]])
    assert digits_only.shape[1:] == (1, 28, 28)              # with one row: the digits as they were
    img, _ = CMP.side_by_side(0, "9")                        # class 9: no emoji group, the seed picks one
    rows = img.shape[0] // 2
    assert img.shape == (6 * (2 * 33 + 1), 6 * (3 * 33 + 1), 3)            # 2 rows of 3 tiles of 32 px (pad 1), ×6
    assert colourful(img[:rows]) == 0 and colourful(img[rows:]) > 0.05       # grey digits over colour emoji


# ----------------------------------------------------------------------------- in Chromium
def _pixels(src: str, app_url: str) -> np.ndarray:
    from PIL import Image

    if src.startswith("data:"):
        data = base64.b64decode(src.split(",", 1)[1])
    else:
        data = urllib.request.urlopen(src if src.startswith("http") else app_url + src, timeout=30).read()
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _quiet(page, quiet_ms=800):
    """Until the page has sent no request for quiet_ms (a late first render may still be on its way)."""
    page.evaluate("""(ms) => new Promise((done) => {
        let t = setTimeout(done, ms);
        new PerformanceObserver(() => { clearTimeout(t); t = setTimeout(done, ms); })
            .observe({ entryTypes: ["resource"] });
    })""", quiet_ms)


def test_a_link_opens_the_emoji_gan_and_the_page_draws_it(browser, app_url):
    """?tab=gan&model=emoji&label=3 → the picker on emoji, the class shown as "Food & Drink", a colour picture;
    the page loads gan-emoji.onnx and draws a drag itself (no server request); Copy link keeps model=emoji;
    picking digits goes back to grey and to gan-mnist.onnx. On the VAE tab, picking emoji makes the page run
    the conditional vae-emoji.onnx with the picked group: the server's picture."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}/?tab=gan&model=emoji&label=3", wait_until="domcontentloaded")
        page.wait_for_function("() => document.querySelector('#gan_model input[value=emoji]')?.checked")
        page.wait_for_function("() => document.querySelector('#gan_label input')?.value === 'Food & Drink'")
        page.wait_for_function("() => (document.querySelector('#gan_render_path .ll-render-path')?.dataset.urls"
                               " || '').includes('gan-emoji.onnx') && window.LatentLab.renderPath.gan === 'browser'")
        page.wait_for_function("() => document.querySelector('#gan_img img')?.src")
        assert colourful(_pixels(page.evaluate("() => document.querySelector('#gan_img img').src"), app_url)) > 0.05
        _quiet(page)                                         # the first renders' pictures, loaded
        runs = []
        page.on("request", lambda r: None if r.url.startswith(("data:", "blob:")) else runs.append(r.url))
        frames = page.evaluate("() => window.LatentLab.browserFrames.gan || 0")
        page.locator("#z0 input[type=range]").fill("1.5")
        page.wait_for_function("(n) => (window.LatentLab.browserFrames.gan || 0) > n", arg=frames)
        drawn = page.evaluate("() => document.querySelector('#gan_img img.ll-browser-img').src")
        assert runs == [] and drawn.startswith("data:image/png")
        pic = _pixels(drawn, app_url)
        assert pic.shape == (256, 256, 3) and colourful(pic) > 0.05
        page.locator("#gan_copy_link").click()
        page.wait_for_function("() => (document.querySelector('#gan_link textarea')?.value || '').includes('model=')")
        link = dict(parse_qsl(urlsplit(page.evaluate("() => document.querySelector('#gan_link textarea').value")).query))
        assert link["model"] == "emoji" and link["label"] == "3" and link["z0"] == "1.5"
        old = page.evaluate("() => document.querySelector('#gan_img img:not(.ll-browser-img)').src")
        page.locator("#gan_model label", has_text="Digits (MNIST)").click()
        page.wait_for_function("(s) => document.querySelector('#gan_img img:not(.ll-browser-img)')?.src !== s "
                               "&& !document.querySelector('#gan_img img.ll-browser-img')", arg=old)
        page.wait_for_function("() => document.querySelector('#gan_render_path .ll-render-path').dataset.urls"
                               ".includes('gan-mnist.onnx')")
        src = page.evaluate("() => document.querySelector('#gan_img img').src")
        assert colourful(_pixels(src, app_url)) == 0
        assert page.evaluate("() => document.querySelector('#gan_label input').value") == "3"
        # the VAE's emoji decoder is conditional: the page feeds it the picked group, as the server does
        open_tab(page, "VAE")
        page.locator("#vae_model label", has_text="Emoji (Twemoji)").click()
        page.wait_for_function("() => document.querySelector('#vae_label input')?.value === 'Smileys & Emotion' "
                               "&& window.LatentLab.renderPath.vae === 'browser' && document.querySelector("
                               "'#vae_render_path .ll-render-path').dataset.urls.includes('vae-emoji.onnx')")
        page.wait_for_function("() => !document.querySelector('#vz8')?.offsetParent")   # 8-d: its sliders only
        assert page.locator("#vz7").is_visible()
        _quiet(page)
        frames = page.evaluate("() => window.LatentLab.browserFrames.vae || 0")
        page.locator("#vz0 input[type=range]").fill("1.5")
        page.wait_for_function("(n) => (window.LatentLab.browserFrames.vae || 0) > n", arg=frames)
        drawn = _pixels(page.evaluate("() => document.querySelector('#vae_img img.ll-browser-img').src"), app_url)
        z = [1.5] + [0.0] * 15
        assert np.abs(drawn.astype(int) - VAE.render(*z, "emoji", "0")).max() <= 2
        assert np.abs(drawn.astype(int) - VAE.render(*z, "emoji", "5")).max() > 20       # another group differs
    finally:
        ctx.close()


def test_switching_the_diffusion_picker_takes_the_models_own_sampler_steps_and_guidance():
    """A user's switch to emoji draws at the emoji model's defaults (Heun-10, w 2), not the digits' w 1.33 left in
    the slider; switching back restores the digits'; a link sets the picker without this event."""
    from ui import diffusion as D

    for world, shipped in (("emoji", "diffusion-emoji"), ("digits", "diffusion-mnist")):
        c = C.pretrained(shipped).config
        *_, sampler, steps, _eta, guidance = D.switched(world, "any", "0", "euler")
        assert (sampler["value"], steps["value"], guidance["value"]) == (c.default_sampler, c.default_steps,
                                                                          c.default_guidance)
    assert C.pretrained("diffusion-emoji").config.default_guidance != C.pretrained("diffusion-mnist").config.default_guidance
