"""Spaces-ready: README front matter, pinned requirements, small checkpoints, no download at run time, ZeroGPU."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import gradio
import pytest
import yaml

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
MAX_CHECKPOINTS_MB = 45          # every file ≤ 10 MB (no LFS on a Space); the emoji, poem and melody models in half
                                 # precision (the melodies, issue 31, took it past 40)


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert m, "README.md must start with the Spaces front matter between --- lines"
    return yaml.safe_load(m.group(1))


def requirements() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", line).groups()
            out[name.lower()] = spec
    return out


def test_front_matter_is_a_gradio_space_on_the_pinned_gradio():
    fm = front_matter()
    assert fm["sdk"] == "gradio"
    assert fm["sdk_version"] == gradio.__version__
    assert requirements()["gradio"] == f"=={fm['sdk_version']}"
    assert fm["app_file"] == "app.py" and (ROOT / fm["app_file"]).is_file()
    assert isinstance(fm["python_version"], str) and re.fullmatch(r"3\.\d+", fm["python_version"])
    assert tuple(map(int, fm["python_version"].split("."))) >= (3, 10)   # Gradio 6 needs Python 3.10+
    assert fm.get("title") and fm.get("short_description") and len(fm["short_description"]) <= 60


ZEROGPU_PYTHONS = ("3.10", "3.12")                       # Hugging Face's ZeroGPU page: 3.10.13 and 3.12.12
ZEROGPU_TORCH = ("2.8.0", "2.9.1", "2.10.0", "2.11.0")


def test_deployable_on_zerogpu_as_it_is():
    """The front matter names a Python ZeroGPU offers (3.12: the dependencies need 3.11+), `spaces` is a
    requirement, and the torch range admits every torch ZeroGPU offers and CI's 2.13."""
    from packaging.specifiers import SpecifierSet

    fm = front_matter()
    assert fm["python_version"] in ZEROGPU_PYTHONS and tuple(map(int, fm["python_version"].split("."))) >= (3, 11)
    reqs = requirements()
    assert "spaces" in reqs
    torch_range = SpecifierSet(reqs["torch"])
    for v in (*ZEROGPU_TORCH, "2.13.0"):
        assert v in torch_range, f"torch {v} is outside requirements.txt's {reqs['torch']}"


# the Debian packages that hold a font ui/i18n looks for (CJK_FONTS), by package name
CJK_PACKAGES = {"fonts-wqy-microhei": "WenQuanYi Micro Hei", "fonts-noto-cjk": "Noto Sans CJK SC"}


def test_a_space_installs_a_cjk_font_the_figures_find():
    """packages.txt (the Debian packages a Space's build installs) holds a CJK font that ui/i18n.cjk_font looks
    for, so a Chinese reader's figures are Chinese on a Space too; here (Debian, as CI) it is the one found."""
    from ui import i18n

    wanted = [line.strip() for line in (ROOT / "packages.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    fonts = [CJK_PACKAGES[p] for p in wanted if p in CJK_PACKAGES]
    assert fonts and all(f in i18n.CJK_FONTS for f in fonts), wanted
    assert i18n.cjk_font() == fonts[0]


def test_every_requirement_has_a_version_bound():
    reqs = requirements()
    assert {"torch", "gradio", "numpy", "safetensors"} <= set(reqs)
    for name, spec in reqs.items():
        assert re.search(r"(==|>=)\s*\d", spec), f"{name} has no version bound in requirements.txt"
        if name == "torch":
            assert "<" in spec, "torch needs an upper bound (a new major can change checkpoints' numerics)"


def test_shipped_checkpoints_are_small_and_never_pickles():
    files = [p for p in (ROOT / "checkpoints").iterdir() if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < MAX_CHECKPOINTS_MB * 2**20, f"checkpoints/ is {total / 2**20:.1f} MB"
    assert {p.suffix for p in files} <= {".safetensors", ".json", ".md", ".onnx"}
    # The .onnx files are the browser decoders (issue 11): protobuf graphs exported from a
    # shipped .safetensors, never pickles, and nothing in them is executed as Python.
    import onnx
    for p in files:
        if p.suffix == ".onnx":
            assert p.with_suffix(".safetensors").is_file(), f"{p.name} has no .safetensors it was exported from"
            assert p.read_bytes()[:1] != b"\x80", f"{p.name} looks like a pickle"
            onnx.checker.check_model(onnx.load(str(p)))


SITECUSTOMIZE = r'''
import os, socket
_LOG = os.environ["NETLOG"]
_LOCAL = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "")

def _note(what):
    with open(_LOG, "a") as f:
        f.write(what + "\n")

_connect = socket.socket.connect
def connect(self, address):
    host = address[0] if isinstance(address, tuple) else ""
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOCAL:
        _note(f"connect {address!r}")
        raise OSError("network disabled by the test")
    return _connect(self, address)
socket.socket.connect = connect

_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *a, **k):
    if host not in _LOCAL and host is not None and not str(host).startswith("127."):
        _note(f"resolve {host!r}")
        raise socket.gaierror("name resolution disabled by the test")
    return _getaddrinfo(host, *a, **k)
socket.getaddrinfo = getaddrinfo
'''


def test_app_serves_offline_without_any_download(tmp_path):
    """`python app.py` with the network cut (sitecustomize refuses non-loopback sockets and DNS, proxies point to a
    closed port, HF_HUB_OFFLINE): it starts, draws a GAN digit and a diffusion digit, and never tried to connect."""
    from gradio_client import Client

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.log"
    log.write_text("")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "NETLOG": str(log), "HF_HUB_OFFLINE": "1", "HTTP_PROXY": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "OMP_NUM_THREADS": "1",
           "GRADIO_TEMP_DIR": str(tmp_path / "gradio"), "HOME": str(tmp_path / "home")}
    out = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        client = None
        deadline = time.monotonic() + 180
        while client is None:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the app did not start"
            try:
                client = Client(url, verbose=False)
            except Exception:
                time.sleep(1)
        gan_png = client.predict(0, "any", 1.0, *[0.0] * 24, api_name="/gan_render")
        diff_png = client.predict(0, "3", "euler", 10, 0.0, 3.0, 1, api_name="/diffusion_render")
        for p in (gan_png, diff_png):
            assert Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out.close()
    assert (tmp_path / "site" / "sitecustomize.py").exists()
    assert log.read_text() == "", f"the app tried to reach the network:\n{log.read_text()}"


def test_probe_catches_a_download(tmp_path):
    """The network guard itself works: a process that tries to download is logged (so the test above can fail)."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.log"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NETLOG": str(log)}
    code = "import urllib.request\ntry:\n urllib.request.urlopen('http://example.com', timeout=5)\nexcept OSError:\n pass"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert "example.com" in log.read_text()


def test_gpu_calls_run_here_without_zerogpu():
    """Without SPACES_ZERO_GPU a GPU call is the function itself, run in this process on the heavy device (the CPU
    here), and the models the app serves stay on the CPU (ZeroGPU's own emulated runs: tests/test_zerogpu.py)."""
    from generators import device as dev
    from ui import common as C
    from ui import diffusion

    assert not dev.ZEROGPU and dev.heavy_device().type == ("cuda" if dev.cuda_usable() else "cpu")
    seen = []
    twice = dev.gpu_call(duration=lambda x: 5)(lambda x: 2 * x)
    assert twice(3, on_refusal=seen.append) == 6 and twice.here(4) == 8 and seen == []
    img = diffusion.render(0, "3", "euler", 5, 0.0, 3.0, 1)     # a heavy handler through its GPU call
    assert img.shape[0] > 28
    assert C.pretrained("diffusion-mnist").device.type == "cpu"


def test_refusals_are_told_apart_from_the_functions_own_errors():
    """ZeroGPU's client raises gr.Error titled "ZeroGPU …" before a call runs: those send the call to the CPU,
    with a reason the status line says; any other error is the function's own and reaches the caller."""
    import gradio as gr

    from generators import device as dev

    cases = {("ZeroGPU quota exceeded", "Space app has reached its GPU limit. Try re-running"): "quota",
             ("ZeroGPU quota exceeded", "You have exceeded your free ZeroGPU quota (60s requested vs. 12s left)."): "quota",
             ("ZeroGPU client error", "No GPU was available"): "no_gpu",
             ("ZeroGPU queue timeout", "No GPU was available after 60s"): "no_gpu",
             ("ZeroGPU illegal duration", "The requested GPU duration (900s) is larger than the maximum allowed"):
                 "duration"}
    for (title, message), why in cases.items():
        assert dev.refusal(gr.Error(message, title=title)) == why
        assert why in dev.REFUSALS
    assert dev.refusal(gr.Error("Seed must be a number")) is None
    assert dev.refusal(ValueError("bad")) is None
