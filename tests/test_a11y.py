"""Accessibility in a real Chromium: every tab (the registry's families', Train, Compare) passes axe-core with no
serious or critical violation in light and dark, in English and Chinese, at a laptop's and a phone's width;
pictures carry alt text that says what they show; a latent slider works from the keyboard (its picture redraws)."""
from __future__ import annotations

import pytest
from conftest import open_tab, track_settling, wait_until_settled

import app

TABS = [(title, tab) for title, tab, _ in app.TABS]
SERIOUS = ("serious", "critical")


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in found
            if v["impact"] in SERIOUS]


# every language in both themes and at both sizes, each pair of them once (4 page loads, not 8); Chinese in its
# two scripts, Simplified and Traditional (converted from it: the same layout and markup, other glyphs)
AXE = [("light", "en-US", 1280), ("dark", "en-US", 390), ("light", "zh-CN", 390), ("dark", "zh-TW", 1280)]


@pytest.mark.parametrize("theme,locale,width", AXE, ids=[f"{t}-{loc}-{w}" for t, loc, w in AXE])
def test_every_tab_passes_axe_core(browser, app_url, theme, locale, width):
    from ui.i18n import translate

    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    track_settling(ctx)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        found = {}
        page.goto(f"{app_url}/?__theme={theme}")          # one page, every tab opened in turn as a user would
        for title, tab in TABS:
            title = translate(title, locale == "zh-TW") if locale.startswith("zh") else title
            open_tab(page, title)
            page.wait_for_function("(t) => document.querySelector('#tabs [role=tab][aria-selected=true]')"
                                   "?.textContent.trim() === t", arg=title)
            wait_until_settled(page)     # its renders (the first ones too) have landed, the page-side fixes have run
            if v := violations(page):
                found[tab] = v
        assert not found, found
    finally:
        ctx.close()


def test_pictures_say_what_they_show(page):
    page.goto(page.url.split("?")[0] + "?tab=gan&seed=7&label=3")
    page.wait_for_function("() => document.querySelector('#gan_img img')?.alt?.includes('seed 7')")
    alt = page.evaluate("() => document.querySelector('#gan_img img').alt")
    assert alt == "gan-mnist digit, seed 7, class 3"
    assert page.evaluate("() => document.querySelector('#gan_img .image-container > button')?.getAttribute('aria-label')") == alt


def test_a_latent_slider_works_from_the_keyboard(tracked_page):
    from conftest import image_src

    page = tracked_page
    page.wait_for_function("() => document.querySelector('#gan_img img')?.src")
    wait_until_settled(page)                             # the first renders have all landed: the picture is final
    before = image_src(page, "gan_img"), page.evaluate(
        "() => document.querySelector('#gan_img .ll-browser-img')?.src ?? null")
    slider = page.locator("#z0 input[type=range]")
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    assert float(slider.input_value()) == pytest.approx(0.3)
    page.wait_for_function("(b) => (document.querySelector('#gan_img .ll-browser-img')?.src ?? null) !== b[1] "
                           "|| document.querySelector('#gan_img img')?.src !== b[0]", arg=list(before))


def test_no_empty_file_box_before_there_is_something_to_download(tracked_page):
    """Every gr.File of the app (downloads, the data drop zone) is out of sight on every tab until it has a file
    or, for the drop zone, until "upload" is chosen; a download's box appears with its file."""
    import gradio as gr

    boxes = [b.elem_id for b in app.demo.blocks.values() if isinstance(b, gr.File) and b.elem_id]
    assert {"gan_png", "diff_png", "train_model_file", "train_export", "train_upload"} <= set(boxes)
    shown = "(ids) => ids.filter((id) => { const e = document.getElementById(id); return e && e.offsetParent; })"
    page = tracked_page
    for title, tab in TABS:
        page.get_by_role("tab", name=title).click()
        wait_until_settled(page)                         # the tab's renders have landed
        assert page.evaluate(shown, boxes) == [], tab
    page.get_by_role("tab", name="GAN").click()
    page.locator("#gan_png_btn").click()
    page.wait_for_function("() => document.querySelector('#gan_png a[href], #gan_png a[download]')")
    assert page.evaluate(shown, boxes) == ["gan_png"]
