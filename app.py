"""Latent Lab: an interactive playground for generative models, one tab per family in generators.REGISTRY.

`python app.py` serves it; tests import the module-level `demo`.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio switches matplotlib to Agg and back around every event; unset, the first switch imports pyplot to
# resolve the default (0.45 s of the first answer after a cold start). Our figures draw on Agg with the object
# API, so the backend is Agg from the start and ui/common.py skips Gradio's (racy) switch.
os.environ.setdefault("MPLBACKEND", "agg")
# OpenMP threads that wait for work sleep instead of spinning: a Train-tab run trains on 2 threads beside the
# browser showing it and the requests, and a spinning thread burns the core the others need (measured through
# Chromium, bench/train_tab.py: 0.188 CPU-s a GAN step spinning against 0.104 on one thread). Read when torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Where work runs is decided in one place (generators/device.py). On a ZeroGPU Space it imports `spaces` first,
# before anything can initialise CUDA; models stay on the CPU here and heavy events run in GPU calls.
from generators import device  # noqa: E402,F401
import gradio as gr  # noqa: E402
import torch  # noqa: E402

# One torch thread per request unless OMP_NUM_THREADS says otherwise. Our models are small (a 28×28 decoder is
# ~1 ms): splitting one op over 2 vCPUs gains little, while the helper threads' spin-waits take the core that the
# event loop, the next request and the HTTP client need. Measured in the server (`python -m bench`, 2 vCPUs):
# autoregressive_sample 35.9 → 22.5 ms, diffusion_render 203 → 97 ms; requests still run 2 at a time.
TRAIN_THREADS = None                            # OMP_NUM_THREADS set: every thread as it says
if not os.environ.get("OMP_NUM_THREADS"):
    TRAIN_THREADS = torch.get_num_threads()     # a Train-tab run steps with torch's default (cores), on its thread
    torch.set_num_threads(1)

from ui import gradio_seam  # noqa: E402

gradio_seam.install()                          # every patch of Gradio internals, in one place (ui/gradio_seam.py)

import generators  # noqa: E402
from ui import common as C  # noqa: E402
from ui import compare, share, train  # noqa: E402
from ui import i18n  # noqa: E402

C.TRAIN_THREADS = TRAIN_THREADS

# one tab per registered family (its title from the family, its module ui/<name>.py), then Train and Compare
FAMILY_TABS = tuple(generators.REGISTRY)
TABS = [*((cls.TITLE, name, C.tab_module(name)) for name, cls in generators.REGISTRY.items()),
        ("Train", "train", train), ("Compare", "compare", compare)]
MAX_FILE_SIZE = "20mb"
QUEUE_MAX = 64
# Gradio keeps a copy of every component's config for each session it has seen (0.6 MB and 116 ms of CPU each
# here, measured), and drops only the oldest beyond this many: 1,000 bounds that at ~600 MB. A page is one
# session; an API caller that sends no session_hash makes a new one with every queued call.
SESSIONS_MAX = 1000
UI = Path(__file__).resolve().parent / "ui"


def _head() -> str:
    """Every ui/js/*.js inlined as a <script> (page-side features: browser rendering, links); ui/css/*.css as <style>."""
    js = "".join(f"<script>/* {p.name} */\n{p.read_text()}\n</script>\n" for p in sorted((UI / "js").glob("*.js")))
    css = "".join(f"<style>/* {p.name} */\n{p.read_text()}\n</style>\n" for p in sorted((UI / "css").glob("*.css")))
    js += i18n.page_script()                   # the texts ui/js/50-i18n-page.js translates in the page (ui/i18n)
    return js + css


# One set of launch settings for `python app.py`, the tests and the bench (theme/css/js/head are launch()
# arguments in Gradio 6, so a test server launched without them would not be the app users get).
LAUNCH_KWARGS = dict(max_file_size=MAX_FILE_SIZE, show_error=True, head=_head(), state_session_capacity=SESSIONS_MAX,
                     i18n=i18n.I18N)          # the page follows the browser's language: English or 简体中文

HEADER = """# Latent Lab
Generative models you can touch: drag a latent slider, pick a seed, watch noise become a digit, train one live.
Every tab runs real models (shipped in `checkpoints/`): drags on the CPU, heavy work on a GPU when there is one."""


def build_demo() -> gr.Blocks:
    with gradio_seam.one_fastapi_app():        # 0.2 s of every cold start: Gradio's spare FastAPI apps skipped
        demo = _build()
    i18n.localize(demo, {"header": HEADER})    # every text the catalog translates becomes a gr.I18n key
    demo.app = gradio_seam.fastapi_app(demo)   # so `demo.app` works before launch(), as Gradio promises
    return demo


def _first_renders(after, renders: list) -> None:
    """Each tab's first renders, all after `after`: (fn, inputs, outputs) side by side, or (fn, inputs, outputs,
    [renders]) whose renders wait for fn (a render that needs what fn set on the server, a slider's range)."""
    for fn, inputs, outputs, *then in renders:
        ev = after.then(fn, inputs, outputs, api_name=False, queue=False, show_progress="hidden")
        if then:
            _first_renders(ev, then[0])


def _build() -> gr.Blocks:
    with gr.Blocks(title="Latent Lab", delete_cache=(600, 1800), analytics_enabled=False) as demo:
        gr.Markdown(HEADER)
        on_load = []
        with gr.Tabs(elem_id="tabs") as tabs:
            for title, tab_id, module in TABS:
                with gr.Tab(title, id=tab_id, elem_id=f"tab_{tab_id}") as tab:
                    if tab_id in FAMILY_TABS:      # says when the tab draws with this session's trained model
                        note = gr.Markdown("", elem_id=f"{tab_id}_model_note")
                        tab.select(functools.partial(C.model_note, tab_id), None, note, api_name=False,
                                   queue=False, show_progress="hidden")
                    built = module.build() or []
                    on_load += built
                    redraw = [e for e in built if e[0] in getattr(module, "ON_SELECT", ())]
                    if redraw:                 # the Train tab may have sent (or taken back) this session's model
                        ev = tab.select(lambda: None, None, None, api_name=False, queue=False,
                                        show_progress="hidden")
                        for fn, inputs, outputs in redraw:
                            ev = ev.then(fn, inputs, outputs, api_name=False, queue=False, show_progress="hidden")
                        marks = ", ".join(f"'{t}'" for t in module.SERVER_DREW)
                        ev.then(None, None, None, api_name=False, queue=False,
                                js=f"() => [{marks}].forEach((t) => window.LatentLab.serverDrew?.(t))")
        from_url = share.wire(demo, tabs)              # a shared link's state first, then the first renders
        _first_renders(from_url, on_load)
    demo.queue(max_size=QUEUE_MAX, default_concurrency_limit=2)
    return demo


demo = build_demo()

if __name__ == "__main__":
    from generators import music
    music.warm(train.APP_MELODIES)             # melodies parsed once into the cache, in the background
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), **LAUNCH_KWARGS)
