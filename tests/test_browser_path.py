"""The browser render path (issue 11): ONNX decoders match PyTorch; in Chromium a slider drag is decoded by
onnxruntime-web with no server request, gives the server's picture, and falls back to the server without WASM."""
from __future__ import annotations

import base64
import io
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from conftest import ROOT, open_tab

BROWSER_TEXT = "Rendering in your browser (WebAssembly)"
SERVER_TEXT = "Rendering on the server"


# ----------------------------------------------------------------------------- export parity
@pytest.mark.parametrize("name", ["gan-mnist", "vae-mnist", "vae-mnist-2d", "gan-8gaussians"])
def test_export_matches_pytorch(name, tmp_path):
    from generators.export import TOLERANCE, export, max_difference
    from generators import load

    path, diff = export(name, tmp_path / f"{name}.onnx")
    assert path.exists() and diff <= TOLERANCE
    assert max_difference(load(name, device="cpu"), path, n=16, seed=123) <= TOLERANCE


@pytest.mark.parametrize("name", ["gan-mnist", "vae-mnist"])
def test_shipped_onnx_files_match_their_checkpoints(name):
    """The committed .onnx files the page downloads are the current weights (re-export if this fails)."""
    from generators import load
    from generators.export import TOLERANCE, max_difference, onnx_path

    assert max_difference(load(name, device="cpu"), onnx_path(name), n=32, seed=7) <= TOLERANCE


def test_export_cli(tmp_path):
    out = tmp_path / "g.onnx"
    r = subprocess.run([sys.executable, "-m", "generators", "export", "gan-8gaussians", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert out.exists() and "max |onnxruntime - torch|" in r.stderr
    for bad in (["export", "diffusion-mnist", "--out", str(tmp_path / "d.onnx")], ["export", "no-such-model"],
                ["export", "gan-mnist", "--out", str(tmp_path / "x.txt")]):
        r = subprocess.run([sys.executable, "-m", "generators", *bad], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 2 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- in Chromium
def _png(src: str, app_url: str) -> np.ndarray:
    from PIL import Image

    if src.startswith("data:"):
        data = base64.b64decode(src.split(",", 1)[1])
    else:
        data = urllib.request.urlopen(src if src.startswith("http") else app_url + src, timeout=30).read()
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)


def _wait_for_path(page, tab: str, text: str):
    page.wait_for_function("([t, s]) => document.querySelector('#' + t + '_render_path')?.innerText.includes(s)",
                           arg=[tab, text], timeout=60_000)


def _img(page, tab):
    return page.evaluate(f"() => document.querySelector('#{tab}_img img')?.src ?? null")


def _drag(page, slider_ids, seconds=2.0):
    """Dispatch `input` events on range inputs for `seconds` (as a mouse drag does), counting picture changes."""
    return page.evaluate("""async ([ids, ms]) => {
        const inputs = ids.map((id) => document.querySelector('#' + id + ' input[type=range]'));
        const box = (id) => document.querySelector('#' + id + ' img');
        const tab = ids[0].startsWith('v') ? 'vae' : ids[0] === 'gan_interp_t' ? 'gan_interp' : 'gan';
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        let changes = 0, last = box(tab + '_img')?.src, i = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < ms) {
            const el = inputs[i % inputs.length];
            const v = (Math.sin(i / 7) * 2.5).toFixed(2);
            setter.call(el, v);
            el.dispatchEvent(new Event('input', { bubbles: true }));
            i++;
            await new Promise((r) => requestAnimationFrame(r));
            const s = box(tab + '_img')?.src;
            if (s && s !== last) { changes++; last = s; }
        }
        await new Promise((r) => setTimeout(r, 300));
        return { events: i, changes };
    }""", [slider_ids, int(seconds * 1000)])


def _network_quiet(page, quiet_s=0.8, limit_s=20.0):
    """Wait until the page has sent no request for quiet_s: pictures the server drew before the
    drag (the tab's first render, a late-arriving redraw) may still be loading when it starts."""
    import time

    last = [time.monotonic()]
    mark = lambda r: last.__setitem__(0, time.monotonic())  # noqa: E731
    events = ("request", "requestfinished", "requestfailed")
    for e in events:
        page.on(e, mark)
    try:
        end = time.monotonic() + limit_s
        while time.monotonic() - last[0] < quiet_s and time.monotonic() < end:
            page.wait_for_timeout(100)
    finally:
        for e in events:
            page.remove_listener(e, mark)


def _requests_during(page, fn):
    _network_quiet(page)
    seen = []
    handler = lambda r: seen.append(r.url) if not r.url.startswith(("data:", "blob:")) else None  # noqa: E731
    page.on("request", handler)
    try:
        out = fn()
    finally:
        page.remove_listener("request", handler)
    return out, seen


def test_gan_drag_renders_in_browser_without_requests_and_matches_server(page, app_url):
    open_tab(page, "GAN")
    _wait_for_path(page, "gan", BROWSER_TEXT)
    page.wait_for_function("() => document.querySelector('#gan_img img')?.src")
    result, requests = _requests_during(page, lambda: _drag(page, ["z0", "z3", "gan_truncation"]))
    assert requests == [], requests[:5]
    assert result["changes"] >= 20, result
    assert page.evaluate("() => window.LatentLab.renderPath.gan") == "browser"

    # the page's picture for the final slider values vs the server's gan_render for the same values
    from gradio_client import Client

    vals = page.evaluate("""() => ['gan_truncation', ...[...Array(8).keys()].map((i) => 'z' + i),
                                   ...[...Array(16).keys()].map((i) => 'raw' + i)]
        .map((id) => Number(document.querySelector('#' + id + ' input[type=range]')?.value ?? 0))""")
    browser = _png(_img(page, "gan"), app_url)
    server_file = Client(app_url, verbose=False).predict(0, "any", *vals, api_name="/gan_render")
    server = _png_file(server_file)
    assert browser.shape == server.shape == (224, 224)
    assert np.abs(browser - server).max() <= 2, np.abs(browser - server).max()
    assert not page.errors


def _png_file(path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("L"), dtype=np.int16)


def test_gan_seed_change_then_drag_matches_server(page, app_url):
    """A new seed and class reach the page; the drag after it draws that seed's digit (server's picture)."""
    open_tab(page, "GAN")
    _wait_for_path(page, "gan", BROWSER_TEXT)
    page.locator("#z1 input[type=range]").fill("0.8")
    page.wait_for_function("() => document.querySelector('#gan_img img.ll-browser-img')")
    page.locator("#gan_seed input").fill("12345")
    page.locator("#gan_seed input").press("Enter")
    # the server redraws, then sends the new seed's latent, then the page drops its own frame
    page.wait_for_function("() => !document.querySelector('#gan_img img.ll-browser-img')")
    page.locator("#z1 input[type=range]").fill("-1.2")
    page.wait_for_function("() => document.querySelector('#gan_img img.ll-browser-img')?.src?.startsWith('data:')")
    from ui import gan

    psi = float(page.locator("#gan_truncation input[type=range]").input_value())   # the checkpoint's default ψ
    assert psi == gan._model().config.default_truncation
    vals = [psi] + [0.0, -1.2] + [0.0] * 6 + [0.0] * 16
    want = gan.render(12345, "any", *vals).astype(np.int16)
    got = _png(_img(page, "gan"), app_url)
    assert np.abs(got - want).max() <= 2


def test_gan_interpolation_position_renders_in_browser(page, app_url):
    open_tab(page, "GAN")
    _wait_for_path(page, "gan", BROWSER_TEXT)
    page.get_by_text("Interpolate between two seeds").click()
    page.wait_for_function("() => document.querySelector('#gan_interp_img img')?.src")
    result, requests = _requests_during(page, lambda: _drag(page, ["gan_interp_t"]))
    assert requests == [], requests[:5]
    assert result["changes"] >= 20, result
    from ui import gan

    t = float(page.locator("#gan_interp_t input[type=range]").input_value())
    psi = float(page.locator("#gan_truncation input[type=range]").input_value())
    want = gan.interp_point(0, 1, "any", psi, t).astype(np.int16)
    got = _png(_img(page, "gan_interp"), app_url)
    assert got.shape == want.shape and np.abs(got - want).max() <= 2
    assert not page.errors


def test_interp_point_moves_along_the_path_and_validates():
    import gradio as gr
    from ui import gan

    a, mid, b = (gan.interp_point(3, 4, "5", 1.0, t) for t in (0, 0.5, 1))
    assert a.shape == (224, 224) and (a != mid).any() and (mid != b).any()
    assert (gan.interp_point(3, 4, "5", 1.0, 0.5) == mid).all()
    strip, _ = gan.interpolate(3, 4, "5", 2, 1.0)          # the path's ends are the strip's first and last frames
    assert (strip[3:87, 3:87] == a[::8, ::8].repeat(3, 0).repeat(3, 1)).all()   # 1-px pad, ×3
    for bad in ((3, 4, "5", 1.0, 1.5), (3, 4, "5", 1.0, float("nan")), (-1, 4, "5", 1.0, 0.5)):
        with pytest.raises(gr.Error):
            gan.interp_point(*bad)


@pytest.mark.parametrize("tab,slider,button", [("gan", "z2", "gan_reset"), ("vae", "vz3", "vae_zero")])
def test_reset_after_a_browser_drag_shows_the_reset_picture(page, app_url, tab, slider, button):
    """Reset redraws on the server, and the server's picture for zeros may keep its old URL: it must show."""
    open_tab(page, tab.upper())
    _wait_for_path(page, tab, BROWSER_TEXT)
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src")
    first = _img(page, tab)
    page.locator(f"#{slider} input[type=range]").fill("2.5")
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src?.startsWith('data:')")
    page.locator(f"#{button}").click()
    page.wait_for_function(f"() => !document.querySelector('#{tab}_img img').src.startsWith('data:')")
    assert _img(page, tab) == first            # the zero-slider picture, drawn by the server before the drag


@pytest.mark.parametrize("tab,slider", [("gan", "z1"), ("vae", "vz2")])
def test_download_after_a_browser_drag_saves_the_picture_shown(page, app_url, tab, slider):
    open_tab(page, tab.upper())
    _wait_for_path(page, tab, BROWSER_TEXT)
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src")
    server_before = _img(page, tab)
    page.locator(f"#{slider} input[type=range]").fill("2.5")
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src?.startsWith('data:')")
    shown = _png(_img(page, tab), app_url)
    assert not np.array_equal(shown, _png(server_before, app_url))
    with page.expect_download() as dl:
        page.locator(f"#{tab}_img a[download]").click()
    from PIL import Image
    saved = np.asarray(Image.open(dl.value.path()).convert("L"), dtype=np.int16)
    assert np.array_equal(saved, shown)


def test_vae_drag_renders_in_browser_without_requests_and_matches_server(page, app_url):
    open_tab(page, "VAE")
    _wait_for_path(page, "vae", BROWSER_TEXT)
    page.wait_for_function("() => document.querySelector('#vae_img img')?.src")
    result, requests = _requests_during(page, lambda: _drag(page, ["vz0", "vz5", "vz11"]))
    assert requests == [], requests[:5]
    assert result["changes"] >= 20, result
    from ui import vae

    vals = page.evaluate("() => [...Array(16).keys()].map((i) => Number(document.querySelector("
                         "'#vz' + i + ' input[type=range]').value))")
    want = vae.render(*vals).astype(np.int16)
    got = _png(_img(page, "vae"), app_url)
    assert got.shape == want.shape and np.abs(got - want).max() <= 2
    assert not page.errors


@pytest.mark.parametrize("tab,slider", [("gan", "z0"), ("vae", "vz0")])
def test_without_webassembly_the_server_draws(browser, app_url, tab, slider):
    from conftest import drag_slider_and_wait_for_new_image

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        ctx.add_init_script("delete window.WebAssembly")
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        page.goto(app_url, wait_until="domcontentloaded")
        open_tab(page, tab.upper())
        _wait_for_path(page, tab, SERVER_TEXT)
        page.wait_for_function("(t) => window.LatentLab.renderPath[t] === 'server'", arg=tab)
        result, requests = _requests_during(page, lambda: drag_slider_and_wait_for_new_image(
            page, slider, "1.5", f"{tab}_img"))
        assert any("/gradio_api/" in u for u in requests)       # the picture came from the server
        assert not result.startswith("data:")
        assert page.evaluate("() => document.querySelector('.ll-browser-img')") is None
        assert SERVER_TEXT in page.locator(f"#{tab}_render_path").inner_text()
    finally:
        ctx.close()


def test_static_files_are_served_and_nothing_else(app_url):
    from ui import browser

    for p in (browser.ORT_JS, browser.ORT_WASM, browser.model_file("gan-mnist")):
        with urllib.request.urlopen(app_url + browser.url(p), timeout=30) as r:
            body = r.read()
            assert len(body) == p.stat().st_size and r.headers.get("Content-Encoding") in (None, "identity")
    for other in (ROOT / "app.py", ROOT / "checkpoints" / "gan-mnist.safetensors", ROOT / "ui" / "web" / "build.sh"):
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(app_url + browser.url(other), timeout=30)


CENTER_OF_PICTURE = """(tab) => {
    const r = document.querySelector(`#${tab}_img img:not(.ll-browser-img)`).getBoundingClientRect();
    const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {src: e.src || '', width: r.width};
}"""


@pytest.mark.parametrize("tab,slider", [("gan", "z1"), ("vae", "vz2")])
def test_fullscreen_after_a_browser_drag_shows_the_picture_shown(page, app_url, tab, slider):
    """Gradio's Fullscreen (and leaving it by Escape) resizes the picture box: the student must still see the
    digit they dragged to, large, not the server's pre-drag picture beside a small leftover overlay."""
    open_tab(page, tab.upper())
    _wait_for_path(page, tab, BROWSER_TEXT)
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src")
    _network_quiet(page)                          # the tab's first server picture has landed
    page.locator(f"#{slider} input[type=range]").fill("2.5")
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src?.startsWith('data:')")
    shown = page.evaluate(f"() => document.querySelector('#{tab}_img .ll-browser-img').src")
    small = page.evaluate(CENTER_OF_PICTURE, tab)
    assert small["src"] == shown

    page.locator(f"#{tab}_img button[aria-label='Fullscreen']").click()
    page.wait_for_function("([tab, w]) => document.querySelector(`#${tab}_img img:not(.ll-browser-img)`)"
                           "?.getBoundingClientRect().width > 1.5 * w", arg=[tab, small["width"]])
    page.wait_for_timeout(500)                    # Gradio's fullscreen animation
    big = page.evaluate(CENTER_OF_PICTURE, tab)
    assert big["src"] == shown and big["width"] > 1.5 * small["width"]

    page.keyboard.press("Escape")
    page.wait_for_function("([tab, w]) => document.querySelector(`#${tab}_img img:not(.ll-browser-img)`)"
                           "?.getBoundingClientRect().width < 1.2 * w", arg=[tab, small["width"]])
    page.wait_for_timeout(500)
    assert page.evaluate(CENTER_OF_PICTURE, tab)["src"] == shown
    assert not page.errors


# ----------------------------------------------------------------------------- colour (issue 20)
def _colour_gan(tmp_path):
    """A tiny emoji-shaped (3×32×32) conditional GAN, stored in float16 as the emoji checkpoints are."""
    import torch

    import generators
    from generators.base import save_checkpoint

    m = generators.build("gan", "emoji", latent_dim=8, ngf=8, ndf=8, seed=3).eval()
    for bn in m.G.net:                   # untrained, it draws mid-grey: batch norm's running variance at 0.01
        if isinstance(bn, torch.nn.BatchNorm2d):     # scales each layer up 10× and the picture is vivid colour
            bn.running_var.fill_(0.01)
    save_checkpoint(m.half(), tmp_path / "gan-colour", dataset="emoji")
    return generators.load(tmp_path / "gan-colour", device="cpu"), tmp_path / "gan-colour"


def test_colour_decoders_export_with_float16_weights_and_match_pytorch(tmp_path):
    """Weights shipped in float16 go into the ONNX graph as float16 (cast to float32 inside it): half the
    download, the same numbers; float32 weights (the MNIST checkpoints) stay float32."""
    import onnx

    import generators
    from generators.base import save_checkpoint
    from generators.export import TOLERANCE, export, max_difference

    model, path = _colour_gan(tmp_path)
    out, diff = export(path, tmp_path / "g16.onnx")
    assert diff <= TOLERANCE and max_difference(model, out, n=8, seed=5) <= TOLERANCE
    g = onnx.load(str(out)).graph
    assert {i.data_type for i in g.initializer if len(i.dims) > 1} == {onnx.TensorProto.FLOAT16}
    assert g.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT      # the page reads float32
    vae = generators.build("vae", "emoji", latent_dim=4, width=4, hidden=16, seed=0).eval()
    save_checkpoint(vae, tmp_path / "vae32", dataset="emoji")                     # float32 weights
    out32, diff = export(tmp_path / "vae32", tmp_path / "v32.onnx")
    assert diff <= TOLERANCE
    assert onnx.TensorProto.FLOAT16 not in {i.data_type for i in onnx.load(str(out32)).graph.initializer}


def test_the_page_draws_a_colour_decoder_in_rgb(browser, tmp_path):
    """onnxruntime-web runs a colour (3×32×32, float16-weight) GAN decoder, and the page's toRGBA paints its
    red, green and blue planes where the server's grid_image puts them (each pixel a ×8 block)."""
    import http.server
    import shutil
    import threading

    import torch

    from conftest import free_port
    from generators.export import export
    from ui import browser as B
    from ui.common import grid_image

    model, path = _colour_gan(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    export(path, site / "g.onnx")
    for f in (B.ORT_JS, B.ORT_WASM):
        shutil.copy(f, site / f.name)
    js = "".join(f"<script>{(ROOT / 'ui' / 'js' / n).read_text()}</script>" for n in
                 ("00-latent-lab.js", "20-browser-render.js"))
    (site / "index.html").write_text(f"<!doctype html><html><head>{js}</head><body></body></html>")

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript"}

        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(site), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    z = torch.randn(1, 8, generator=torch.Generator().manual_seed(1))
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
        pic = page.evaluate("""async ([z, label]) => {
            const ort = await window.LatentLab.loadOrt({ ort: '/ort.wasm.bundle.min.mjs',
                                                         wasm: '/ort-wasm-simd-threaded.wasm.gz' });
            const s = await ort.InferenceSession.create('/g.onnx', { executionProviders: ['wasm'] });
            const y = new Float32Array(9); y[label] = 1;
            const out = (await s.run({ z: new ort.Tensor('float32', Float32Array.from(z), [1, z.length]),
                                      y: new ort.Tensor('float32', y, [1, 9]) })).x;
            const p = window.LatentLab.toRGBA(out.dims, out.data, 8);
            return { dims: out.dims, width: p.width, height: p.height, data: Array.from(p.data) };
        }""", [z[0].tolist(), 4])
    finally:
        ctx.close()
        server.shutdown()
    assert pic["dims"] == [1, 3, 32, 32] and pic["width"] == pic["height"] == 256
    got = np.array(pic["data"], dtype=np.int16).reshape(256, 256, 4)
    with torch.no_grad():
        want = grid_image(model.generate(z, torch.tensor([4])), scale=8).astype(np.int16)   # (256, 256, 3)
    assert want.shape == (256, 256, 3) and (got[..., 3] == 255).all()
    assert np.abs(got[..., :3] - want).max() <= 2
    assert np.abs(want[..., 0] - want[..., 2]).max() > 100           # vivid: red and blue planes differ …
    assert np.abs(got[..., :3] - want[..., ::-1]).max() > 100        # … so BGR, or grey, would not pass
