"""The browser render path: the app serves onnxruntime-web and the decoders' ONNX files as static files, and the
GAN/VAE tabs tell the page where they are (ui/js/20-browser-render.js runs them; the server path stays)."""
from __future__ import annotations

import html
import json
from pathlib import Path

import gradio as gr

from generators.base import CHECKPOINT_DIR

ORT_DIR = Path(__file__).resolve().parent / "static" / "ort"      # built by ui/web/build.sh, committed
ORT_JS = ORT_DIR / "ort.wasm.bundle.min.mjs"
ORT_WASM = ORT_DIR / "ort-wasm-simd-threaded.wasm.gz"
SERVER_TEXT = "Rendering on the server"


def model_file(checkpoint: str) -> Path:
    return CHECKPOINT_DIR / f"{checkpoint}.onnx"     # written by `python -m generators export <checkpoint>`


def url(path: Path) -> str:
    return f"/gradio_api/file={path}"


_SERVED: set[Path] = set()


def serve(*checkpoints: str) -> None:
    """Let Gradio serve onnxruntime-web's folder and these decoders' .onnx files (nothing else). Each path
    once: Gradio checks every image GET against the whole list (two realpath() calls per entry), and the
    GAN and VAE tabs both asked for the onnxruntime-web folder."""
    new = [p for p in (ORT_DIR, *(model_file(c) for c in checkpoints)) if p not in _SERVED]
    if new:
        _SERVED.update(new)
        gr.set_static_paths(new)


def indicator(tab: str, checkpoint: str, others: tuple[str, ...] = ()) -> gr.HTML:
    """Which path draws the sliders' picture; the page's script reads the URLs from it and updates the text.
    `others`: the checkpoints the tab's model picker can switch to (their decoders are served too)."""
    serve(checkpoint, *others)
    return gr.HTML(indicator_html(tab, checkpoint), elem_id=f"{tab}_render_path")


def indicator_html(tab: str, checkpoint: str) -> str:
    """The indicator's content for `checkpoint`: an event that returns it (the model picker) makes the page load
    that decoder (ui/js/20-browser-render.js watches data-urls); the server draws until it is ready."""
    data = {"ort": url(ORT_JS), "wasm": url(ORT_WASM), "model": url(model_file(checkpoint))}
    return (f'<span class="ll-render-path" data-tab="{tab}" data-urls="{html.escape(json.dumps(data))}">'
            f"{SERVER_TEXT}</span>")


def drag_js(tab: str) -> str:
    """The sliders' input event on the page: draw in the browser, or ask the server when that path is down."""
    return f"(...a) => window.LatentLab.browserRender('{tab}', a)"


def server_drew(event, target: str):
    """After a server event that redrew the picture (seed, reset, …): show it, not the page's last drag frame
    (the server's file can keep its old URL when the picture is the same as before the drag)."""
    return event.then(None, None, None, js=f"() => window.LatentLab.serverDrew('{target}')", api_name=False,
                      queue=False)
