"""Shared fixtures: a real Gradio server running app.demo, and a real headless Chromium (Playwright)."""
from __future__ import annotations

import os
import re
import socket
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="latent-lab-gradio-"))
os.environ.setdefault("MPLBACKEND", "Agg")
# the session's own cache folder (melodies parsed here, never into the user's ~/.cache); subprocesses inherit it
os.environ.setdefault("LATENT_LAB_CACHE", tempfile.mkdtemp(prefix="latent-lab-cache-"))
MELODY_TUNES = 25          # tunes a file the test cache parses: 50 Han songs (5 held out), ~4 s instead of ~60

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_configure(config):
    """Name the slowest tests at the end of every run (CI's budget is 15 minutes: this shows where it goes)."""
    if config.option.durations is None:
        config.option.durations = 30
        config.option.durations_min = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def melody_cache() -> None:
    """The Han and German songs in the session's cache, the first MELODY_TUNES tunes of each file (music21's own
    parser on the real corpus files; the app's background warm-up does the whole collections)."""
    from generators import music

    for c in ("han", "german"):
        if not music.is_cached(c):
            music.build_collection(c, limit=MELODY_TUNES)


@pytest.fixture(scope="session")
def melodies():
    melody_cache()


@pytest.fixture(scope="session")
def app_url(melodies):
    """app.demo served on a free loopback port for the whole session (the melody views' songs in its cache)."""
    import app

    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                    **app.LAUNCH_KWARGS)
    yield f"http://127.0.0.1:{port}"
    app.demo.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (see .ci/run)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url, tmp_path):
    """A fresh page on the app; console errors are collected in page.errors."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.set_default_timeout(60_000)
    pg.goto(app_url, wait_until="domcontentloaded")
    pg.get_by_role("tab", name="GAN").wait_for()
    pg.screenshot_dir = tmp_path
    yield pg
    ctx.close()


def open_tab(page, name: str) -> None:
    """Open a tab as a user does: its button, or on a phone (where the tab bar overflows) from "More tabs"."""
    # After a viewport change Gradio re-lays the tab bar out a moment later, so a tab that was in the overflow
    # menu can become a button (and "More tabs" vanish) between two looks: look again until one of them works.
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    exact = re.compile(f"^{re.escape(name)}$")
    page.locator("#tabs [role=tab]").first.wait_for()
    tab = page.locator("#tabs [role=tab]", has_text=exact)
    more = page.locator("#tabs button[aria-label='More tabs']")
    item = page.locator("#tabs button:not([role=tab]):not([tabindex])", has_text=exact)
    for _ in range(100):
        try:
            if tab.count() and tab.first.is_visible():
                return tab.first.click(timeout=2000)
            if more.count() and more.first.is_visible():
                more.first.click(timeout=2000)
                return item.first.click(timeout=2000)
        except PlaywrightTimeout:  # the bar moved under the click: look again
            pass
        page.wait_for_timeout(200)
    raise AssertionError(f"no visible tab or 'More tabs' entry named {name!r}")


def wait_until_idle(page) -> None:
    """Wait until no Gradio event shows as running (no pending/generating status, no progress bar)."""
    page.wait_for_function("() => !document.querySelector('.pending, .generating, .eta-bar')")


def image_src(page, elem_id: str) -> str | None:
    return page.evaluate(f"() => document.querySelector('#{elem_id} img')?.src ?? null")


def drag_slider_and_wait_for_new_image(page, slider_id: str, value: str, image_id: str, timeout=60000) -> str:
    """Set a gr.Slider through its range input (fires `input`) and wait for the image's src to change."""
    page.wait_for_function(f"() => document.querySelector('#{image_id} img')?.src", timeout=timeout)
    old = image_src(page, image_id)
    page.locator(f"#{slider_id} input[type=range]").fill(value)
    page.wait_for_function("([id, s]) => document.querySelector('#' + id + ' img')?.src !== s",
                           arg=[image_id, old], timeout=timeout)
    return image_src(page, image_id)


def sync_stream(agen):
    """Drive an async-generator handler (the Train tab's Start) from plain code, one update per next(), on an
    event loop of its own in a helper thread (Playwright's sync API keeps a loop running in the main thread);
    closing this generator closes the handler's, as Gradio's cancellation does."""
    import asyncio
    import threading

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    run = lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result()  # noqa: E731
    try:
        while True:
            try:
                yield run(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        run(agen.aclose())
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
