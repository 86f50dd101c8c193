"""Looks right everywhere: every family tab in light and dark, at a phone's width (390 px) and a projector's
(1920 px), in English and in Chinese, in Chromium — no horizontal overflow, key controls visible, dark really
dark; screenshots kept."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

TABS = {  # tab → (tab title, the tab's picture/result, controls that must be visible)
    "gan": ("GAN", "#gan_img img", ["#gan_seed", "#z0", "#gan_truncation", "#gan_copy_link"]),
    "vae": ("VAE", "#vae_img img", ["#vae_seed", "#vz0", "#vae_copy_link"]),
    "diffusion": ("Diffusion", "#diff_img img", ["#diff_seed", "#diff_steps", "#diff_sampler", "#diffusion_copy_link"]),
    "autoregressive": ("Autoregressive", "#ar_names li", ["#ar_seed", "#ar_temperature", "#ar_prefix",
                                                          "#autoregressive_copy_link"]),
    "gaussian": ("Gaussian", "#gaussian_summary table", ["#gaussian_data", "#gaussian_lr", "#gaussian_step_btn",
                                                          "#gaussian_copy_link"]),
}
SHOTS = Path(os.environ.get("LATENT_LAB_SCREENSHOTS", "")) if os.environ.get("LATENT_LAB_SCREENSHOTS") else None


def corner_luminance(png: bytes) -> float:
    r, g, b = Image.open(io.BytesIO(png)).convert("RGB").getpixel((3, 3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# (width, browser language, themes): English at a phone's and a projector's width in both themes; Chinese at a
# phone's and a laptop's width, one theme each (its longer-or-shorter words are what may overflow, not the colours);
# Traditional Chinese (the Simplified catalog through OpenCC) at the phone's width
LOOKS = [(390, "en-US", ("light", "dark")), (1920, "en-US", ("light", "dark")),
         (390, "zh-CN", ("dark",)), (1366, "zh-CN", ("light",)), (390, "zh-TW", ("light",))]


@pytest.mark.parametrize("width,locale,themes", LOOKS, ids=[f"{w}-{loc}" for w, loc, _ in LOOKS])
def test_every_family_tab_in_light_and_dark(browser, app_url, tmp_path, width, locale, themes):
    from conftest import open_tab

    from ui.i18n import translate

    out = SHOTS or tmp_path
    out.mkdir(parents=True, exist_ok=True)
    lum = {}
    for theme in themes:
        ctx = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{app_url}/?__theme={theme}")       # one page, every tab opened in turn as a user would
            for tab, (title, result, controls) in TABS.items():
                title = translate(title, locale == "zh-TW") if locale.startswith("zh") else title
                page.evaluate("() => window.scrollTo(0, 0)")
                open_tab(page, title)
                page.wait_for_function("(t) => document.querySelector('#tabs [role=tab][aria-selected=true]')"
                                       "?.textContent.trim() === t", arg=title)
                page.wait_for_selector(result)
                for sel in controls:
                    loc = page.locator(sel).first
                    loc.scroll_into_view_if_needed()
                    assert loc.is_visible(), f"{sel} hidden ({theme}, {width} px)"
                    box = loc.bounding_box()
                    assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, f"{sel} off screen"
                page.evaluate("() => window.scrollTo(0, 0)")
                sw, cw = page.evaluate("() => [document.documentElement.scrollWidth, "
                                       "document.documentElement.clientWidth]")
                assert sw <= cw + 1, f"{tab}: the page is {sw} px wide in a {cw} px window ({theme})"
                png = page.screenshot(path=str(out / f"{tab}_{theme}_{width}_{locale}.png"), full_page=width < 1000)
                lum.setdefault(theme, []).append(corner_luminance(png))
        finally:
            ctx.close()
        assert not errors, errors
    assert min(lum.get("light", [255])) > 200 and max(lum.get("dark", [0])) < 80, lum


def test_every_tab_has_a_lesson_with_a_diagram(page):
    from conftest import open_tab

    for title, diagram in (("GAN", "gan_diagram"), ("VAE", "vae_diagram"), ("Diffusion", "diff_diagram"),
                           ("Autoregressive", "ar_diagram"), ("Gaussian", "gaussian_diagram"), ("Train", "train_diagram"),
                           ("Compare", "cmp_diagram")):
        open_tab(page, title)
        page.get_by_role("tabpanel").get_by_text("How it works", exact=True).last.click()
        svg = page.locator(f"#{diagram} svg")
        svg.wait_for(state="visible")
        assert svg.get_attribute("aria-label")
        page.wait_for_function("() => [...document.querySelectorAll('[role=tabpanel]')].some("
                               "p => p.offsetParent && p.innerText.includes('Try this'))")   # the guided steps
        page.set_viewport_size({"width": 390, "height": 900})        # an open lesson fits a phone too
        page.wait_for_function("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
        assert page.locator(f"#{diagram} svg").is_visible()
        page.set_viewport_size({"width": 1280, "height": 900})
