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


def _app_page(browser, app_url, tmp_path, *, tracked: bool = False):
    """A fresh page on the app (console errors in page.errors), its SETTLE_JS installed first when `tracked`;
    closed after the test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    if tracked:
        track_settling(ctx)
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


# The page's own record of what is still on its way, for wait_until_settled; installed before the app's scripts
# run (track_settling, or the tracked_page fixture). It counts
# - the fetch() requests in flight: Gradio sends every event with fetch (the heartbeat stream, open for the
#   session's life, is left out);
# - the events Gradio is bound to send next, each until it is sent (window.gradio_config's dependency graph): the
#   load event; a tab's select events once its panel comes on display; and for every answered event sent without
#   the queue (/run/…: the first renders, the tabs' select chains) its .then/.success/.failure followers (one that
#   runs only in the page passes on to its own followers; one already running is left out, as Gradio skips or
#   defers it);
# - the <link> stylesheets and module preloads in flight: Vite's preloader adds them when the page imports a
#   component lazily (a tab's first opening, a plot's renderer), which mounts once they have loaded;
# and it stamps the time of every request's start and end and of every DOM mutation, and counts animation frames.
SETTLE_JS = r"""
(() => {
  if (window.__llSettle) return;
  const s = window.__llSettle = { inflight: 0, links: 0, expected: new Map(), running: new Map(),
                                  lastStart: new Map(), last: performance.now(), frames: 0, lastFrame: 0,
                                  seeded: false };
  const add = (m, k, n) => m.set(k, (m.get(k) || 0) + n);
  const touch = () => { s.last = performance.now(); s.lastFrame = s.frames; };
  let graph = null;                       // dependency id → {d, kids}
  const deps = () => {
    const all = window.gradio_config && window.gradio_config.dependencies;
    if (!graph && all) {
      graph = new Map(all.map((d) => [d.id, { d, kids: [] }]));
      all.forEach((d) => d.trigger_after != null && graph.get(d.trigger_after)?.kids.push(d));
    }
    return graph;
  };
  const expect = (d, since) => {          // Gradio is bound to send d, unless it was sent since `since`
    if (!d.backend_fn) return follow(d, true, since);
    if ((s.lastStart.get(d.id) ?? -Infinity) >= since || (s.running.get(d.id) || 0) > 0) return;
    add(s.expected, d.id, 1);
  };
  const follow = (d, ok, since) => (deps()?.get(d.id)?.kids || []).forEach((k) => {
    const on = k.trigger_only_on_failure ? "failure" : k.trigger_only_on_success ? "success" : "then";
    if (ok ? on !== "failure" : on === "failure") expect(k, since);
  });
  s.seed = () => {                        // the load event, sent once the app has mounted
    if (s.seeded || !deps()) return;
    s.seeded = true;
    window.gradio_config.dependencies.forEach((d) => d.backend_fn && d.targets.some(([, e]) => e === "load")
                                                     && expect(d, -1));
  };
  s.pending = () => [...s.expected].filter(([, n]) => n > 0).map(([id]) => id);
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = String((input && input.url) || input);
    const p = fetch0.apply(this, arguments);
    if (/\/heartbeat\//.test(url)) return p;
    s.seed();
    let fn = null;
    if (/\/run\//.test(url)) try { fn = JSON.parse(init.body).fn_index ?? null; } catch (e) { fn = null; }
    const t0 = performance.now();
    s.inflight += 1;
    touch();
    if (fn !== null) {
      add(s.running, fn, 1);
      s.lastStart.set(fn, t0);
      if (s.expected.get(fn) > 0) add(s.expected, fn, -1);
    }
    const done = (ok) => {                // its followers are expected before it stops counting as in flight
      if (fn !== null) {
        add(s.running, fn, -1);
        const d = deps()?.get(fn)?.d;
        if (d) follow(d, ok, t0);
      }
      s.inflight -= 1;
      touch();
    };
    if (fn === null) p.then(() => done(true), () => done(false));
    else p.then((r) => r.clone().json().then((j) => done(r.ok && !(j && j.error)), () => done(false)),
                () => done(false));
    return p;
  };
  const watch = (n) => {
    if (n.tagName !== "LINK" || !/^(stylesheet|modulepreload|preload)$/.test(n.rel) || n.__llSettle) return;
    n.__llSettle = true;
    s.links += 1;
    const done = () => {
      n.removeEventListener("load", done);
      n.removeEventListener("error", done);
      s.links -= 1;
      touch();
    };
    n.addEventListener("load", done);
    n.addEventListener("error", done);
  };
  // a tab panel coming on display: Gradio's TabItem sends its select events once its tab is the selected one
  // (a click, a link's ?tab=, the first tab as the app mounts), one after another in the order they were made
  const shown = new Set();
  const panels = () => document.querySelectorAll(".tabitem[role=tabpanel][id]").forEach((el) => {
    if (!el.style.display || el.style.display === "none") return void shown.delete(el.id);
    if (shown.has(el.id) || !deps()) return;
    shown.add(el.id);
    const tab = window.gradio_config.components.find((c) => c.props?.elem_id === el.id);
    const now = performance.now();
    if (tab) window.gradio_config.dependencies.forEach((d) => d.targets.some(([t, e]) => t === tab.id && e === "select")
                                                          && expect(d, now));
  });
  new MutationObserver((records) => {
    touch();
    records.forEach((r) => r.addedNodes.forEach(watch));
    panels();
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  const tick = () => { s.frames += 1; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})();
"""


def track_settling(ctx) -> None:
    """Install SETTLE_JS in a browser context (or page) before it loads the app, for wait_until_settled."""
    ctx.add_init_script(SETTLE_JS)


def wait_until_settled(page, quiet_ms: int = 250, timeout: float | None = None) -> None:
    """Wait until the page has settled: the load event has been sent; no request, stylesheet or module preload is
    in flight; every follower of an answered queue-less event has been sent (and so answered); no Gradio event
    shows as running (wait_until_idle's condition, for queued ones); no DOM mutation and no request's start or end
    for quiet_ms; two animation frames run since the last change (what a MutationObserver queued with
    requestAnimationFrame, ui/js/40-a11y.js's and 50-i18n-page.js's fixes, has run, and a change it made restarts
    the wait); the fonts loaded; no finite CSS animation or transition running (colours are the final ones).
    The page must have been loaded with track_settling (or be a tracked_page)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if not page.evaluate("() => !!window.__llSettle"):
        raise AssertionError("wait_until_settled needs SETTLE_JS installed before the page loads (track_settling)")
    try:
        page.wait_for_function("""(quiet) => {
            const s = window.__llSettle;
            s.seed();
            return s.seeded && s.inflight === 0 && s.links === 0 && !s.pending().length
              && performance.now() - s.last >= quiet && s.frames - s.lastFrame >= 2
              && document.fonts.status === 'loaded' && !document.querySelector('.pending, .generating, .eta-bar')
              && !document.getAnimations().some((a) => a.playState === 'running'
                                                 && a.effect?.getComputedTiming().iterations !== Infinity);
        }""", arg=quiet_ms, timeout=timeout)
    except PlaywrightTimeout:
        state = page.evaluate("""() => { const s = window.__llSettle;
            return { seeded: s.seeded, inflight: s.inflight, links: s.links, expected: s.pending(),
                     quiet_ms: Math.round(performance.now() - s.last), frames: s.frames - s.lastFrame,
                     fonts: document.fonts.status, status: !!document.querySelector('.pending, .generating, .eta-bar'),
                     animations: document.getAnimations().filter((a) => a.playState === 'running'
                         && a.effect?.getComputedTiming().iterations !== Infinity).length }; }""")
        raise AssertionError(f"the page did not settle: {state}") from None


@pytest.fixture
def page(browser, app_url, tmp_path):
    """A fresh page on the app; console errors are collected in page.errors."""
    yield from _app_page(browser, app_url, tmp_path)


@pytest.fixture
def tracked_page(browser, app_url, tmp_path):
    """The `page` fixture's page, with SETTLE_JS installed before the app loads, for wait_until_settled."""
    yield from _app_page(browser, app_url, tmp_path, tracked=True)


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
