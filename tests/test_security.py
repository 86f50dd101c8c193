"""Hostile checkpoints, hostile requests that skip the UI, and Gradio's file routes (a real server)."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import torch

import generators

ROOT = Path(__file__).resolve().parent.parent


class Payload:
    """Unpickling this runs `touch MARKER`: the classic torch.load code-execution attack."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("ext", [".pt", ".pth", ".ckpt", ".bin", ".safetensors"])
def test_pickle_payload_never_runs(tmp_path, monkeypatch, ext):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "pwned"
    evil = tmp_path / f"evil{ext}"
    evil.write_bytes(pickle.dumps({"state_dict": Payload(marker)}))
    (tmp_path / "evil.json").write_text(json.dumps({"format_version": 1, "family": "gan", "config": {}}))
    with pytest.raises(generators.CheckpointError) as e:
        generators.load(evil)
    assert "\n" not in str(e.value)
    r = subprocess.run([sys.executable, "-m", "generators", "sample", "gan", "--checkpoint", str(evil),
                        "--out", str(tmp_path / "o.png")], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not marker.exists()


def test_failed_load_leaves_model_in_use_unchanged(tmp_path):
    from generators.base import CheckpointError, load_state_into

    m = generators.build("gan", "mnist", latent_dim=8, ngf=8, ndf=8)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    bad = {k: v.clone() for k, v in before.items()}
    last = list(bad)[-1]
    bad[list(bad)[0]] = torch.full_like(bad[list(bad)[0]], float("nan")) if bad[list(bad)[0]].is_floating_point() \
        else bad[list(bad)[0]]
    bad[last] = torch.zeros(1, 2, 3)                        # wrong shape, found after the NaN one
    with pytest.raises(CheckpointError):
        load_state_into(m, bad, "bad")
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())


# ----------------------------------------------------------------------------- over HTTP, skipping the UI
def _post(url, api, data):
    body = json.dumps({"data": data, "session_hash": "hostile"}, allow_nan=True).encode()
    req = urllib.request.Request(f"{url}/gradio_api/run/{api}", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def _gan(seed=7, label="3", trunc=1.0, first=0.0):
    return [seed, label, trunc, first] + [0.0] * 23


HOSTILE_GAN = {
    "NaN slider": _gan(first=float("nan")), "inf truncation": _gan(trunc=float("inf")),
    "1e308 slider": _gan(first=1e308), "1e30 seed": _gan(seed=10**30), "seed 2^64": _gan(seed=2**64),
    "negative seed": _gan(seed=-5), "string seed": _gan(seed="x" * 100_000), "label 10": _gan(label="10"),
    "label list": _gan(label=[1, 2]), "dict slider": _gan(first={"a": 1}), "too few values": [1, "3"],
    "null truncation": _gan(trunc=None),
}


def test_hostile_requests_get_clear_errors_and_server_keeps_serving(app_url):
    ok_status, ok = _post(app_url, "gan_render", _gan())
    assert ok_status == 200, ok
    for what, data in HOSTILE_GAN.items():
        status, body = _post(app_url, "gan_render", data)
        assert status != 200 or (isinstance(body, dict) and body.get("error")), what
        text = json.dumps(body) if not isinstance(body, str) else body
        assert "Traceback" not in text, what
        status, again = _post(app_url, "gan_render", _gan())
        assert status == 200 and again["data"][0]["url"], f"server did not recover after {what}"


def test_fast_slider_events_answer_like_gradios_own_processing(app_url):
    """gan_render / vae_render / autoregressive_sample skip Gradio's per-input processing (C.fast, for speed):
    same picture as the Gradio-processed event with the same handler, same HTML as the handler itself."""
    import io

    import numpy as np
    from PIL import Image

    from ui import autoregressive as AR
    from ui import vae as V

    def picture(api, data):
        status, body = _post(app_url, api, data)
        assert status == 200, body
        out = body["data"][0]
        with urllib.request.urlopen(out["url"], timeout=60) as r:
            return out, r.read()

    fast, fast_png = picture("gan_render", _gan(seed=11, label="4", first=1.25))
    slow, slow_png = picture("gan_render_seed", _gan(seed=11, label="4", first=1.25))
    assert fast_png[:8] == b"\x89PNG\r\n\x1a\n" and fast_png == slow_png
    assert {k: v for k, v in fast.items() if k not in ("path", "url")} == \
        {k: v for k, v in slow.items() if k not in ("path", "url")}
    z = [0.5, -1.0] + [0.0] * 14
    _, png = picture("vae_render", z)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), V.render(*z))
    status, body = _post(app_url, "autoregressive_sample", [3, 0.8, 5, 0.9, "ma", 6])
    assert status == 200 and body["data"][0] == AR.generate(3, 0.8, 5, 0.9, "ma", 6)


@pytest.mark.parametrize("api,data", [
    ("gan_grid", [1, "any", 1.0, 10**6]), ("gan_grid", [1, "any", 1.0, -3]),
    ("gan_interpolate", [0, 1, "2", 10**9, 1.0]), ("gan_2d", [0, float("nan")]), ("gan_2d", [0, 10**7]),
])
def test_hostile_sizes_refused(app_url, api, data):
    status, body = _post(app_url, api, data)
    assert status != 200 or body.get("error")


def test_gr_error_message_reaches_the_client(app_url):
    status, body = _post(app_url, "gan_render", _gan(trunc=5.0))   # raw inputs (C.FAST): our check, not Gradio's
    assert "Truncation must be between 0 and 2" in json.dumps(body)
    status, body = _post(app_url, "gan_render", _gan(seed=2**64))        # ours: a number box has no bound
    assert "Seed must be between 0 and" in json.dumps(body)


@pytest.mark.parametrize("path", [
    "../../../../etc/passwd", "..%2F..%2F..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "/proc/self/environ",
    str(ROOT / "checkpoints" / "gan-mnist.json"), str(ROOT / "app.py"), "app.py", "checkpoints/gan-mnist.json",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
])
def test_file_routes_serve_nothing_outside_the_cache(app_url, path):
    for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
        url = app_url + prefix + (path if "%" in path else urllib.parse.quote(path, safe="/"))
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            status, body = e.code, b""
        assert status != 200 or (b"root:" not in body and b"PATH=" not in body and b"format_version" not in body
                                 and b"import gradio" not in body), url


@pytest.mark.parametrize("style", ["pickle", "torch.save"])
def test_pickle_payload_under_a_valid_checkpoints_weights_never_runs(tmp_path, monkeypatch, style):
    """The config is valid and names a real family, so reading the weights is the only barrier left."""
    from ui import train as T

    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "pwned"
    model = generators.build("gan", "8gaussians", hidden=8, latent_dim=2)
    wpath = generators.save_checkpoint(model, tmp_path / "m", dataset="8gaussians")
    if style == "pickle":
        wpath.write_bytes(pickle.dumps({k: Payload(marker) for k in model.state_dict()}))
    else:
        torch.save({"state_dict": Payload(marker)}, wpath)          # a zip-format torch checkpoint
    with pytest.raises(generators.CheckpointError, match="safetensors"):
        generators.load(wpath)
    with pytest.raises(Exception, match="safetensors"):
        T.upload_checkpoint(None, [str(wpath), str(wpath.with_suffix(".json"))])
    r = subprocess.run([sys.executable, "-m", "generators", "sample", "gan", "--checkpoint", str(wpath),
                        "--out", str(tmp_path / "o.npy")], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not marker.exists(), "the pickle payload ran"
