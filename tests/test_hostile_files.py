"""Hostile files: images that are not what they claim (both places a user can send one: the VAE tab's drawing
and the Train tab's .zip of images), zip tricks, the upload route, and Gradio's file routes."""
from __future__ import annotations

import io
import json
import os
import struct
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
import zlib
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import generators.data
from generators.data import image_to_gray
from ui import train as T

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- the files
def _png(arr, mode=None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG")
    return buf.getvalue()


def _digit() -> np.ndarray:
    a = np.zeros((28, 28), np.uint8)
    a[6:22, 12:16] = 255
    a[6:9, 9:16] = 128
    return a


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _bomb_png(w: int, h: int) -> bytes:
    """A valid PNG header declaring w×h grey pixels, and a few KB of zero rows: decoding it would take w·h bytes."""
    co = zlib.compressobj(9)
    idat = co.compress(b"\0" * (w + 1) * 16) + co.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


OK = _png(_digit())
REFUSED = {                                   # name → (bytes, what the message says)
    "truncated.png": (OK[: len(OK) // 2], "not a readable image"),
    "bomb-30000.png": (_bomb_png(30000, 30000), "pixels"),
    "bomb-5000.png": (_bomb_png(5000, 5000), "pixel"),       # under PIL's own limit, over ours
    "svg.png": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a readable image"),
    "html.png": (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "not a readable image"),
    "empty.png": (b"", "empty"),
    "random.png": (os.urandom(2048), "not a readable image"),
    "header-only.png": (OK[:40], "not a readable image"),
}


def _converted() -> dict[str, tuple[bytes, np.ndarray]]:
    """Unusual but legitimate images → what they must decode to (the digit, or its negative)."""
    d = _digit()
    b16 = io.BytesIO()
    Image.fromarray(d.astype(np.uint16) * 257).save(b16, format="PNG")
    cmyk = io.BytesIO()
    Image.fromarray(np.stack([d] * 3, -1)).convert("CMYK").save(cmyk, format="JPEG", quality=95)
    ink = np.zeros((28, 28, 4), np.uint8)          # black ink on a transparent sheet
    ink[..., 3] = d
    pal = Image.fromarray(d).convert("P")
    pb = io.BytesIO()
    pal.save(pb, format="GIF")
    want = d.astype(np.float32) / 255
    return {"16bit.png": (b16.getvalue(), want), "cmyk.jpg": (cmyk.getvalue(), want),
            "alpha.png": (_png(ink, "RGBA"), 1 - want), "palette.gif": (pb.getvalue(), want)}


# ----------------------------------------------------------------------------- the engine's decoder
@pytest.mark.parametrize("name", list(REFUSED))
def test_hostile_image_bytes_refused_with_one_line(name):
    data, msg = REFUSED[name]
    with pytest.raises(ValueError, match=msg) as e:
        image_to_gray(data, name)
    assert "\n" not in str(e.value) and name in str(e.value)


@pytest.mark.parametrize("name", ["16bit.png", "cmyk.jpg", "alpha.png", "palette.gif"])
def test_unusual_images_are_converted_correctly(name):
    data, want = _converted()[name]
    got = image_to_gray(data, name)
    assert got.shape == (28, 28) and np.abs(got - want).mean() < 0.03, np.abs(got - want).mean()


# ----------------------------------------------------------------------------- the Train tab's .zip
def _zip(path: Path, extra: dict[str, bytes], n_ok: int = 10, **kw) -> str:
    with zipfile.ZipFile(path, "w", **kw) as zf:
        for i in range(n_ok):
            zf.writestr(f"ok/{i}.png", OK)
        for name, data in extra.items():
            zf.writestr(name, data)
    return str(path)


@pytest.mark.parametrize("name", list(REFUSED))
def test_zip_with_a_hostile_image_gives_a_clear_error(tmp_path, name):
    data, msg = REFUSED[name]
    with pytest.raises(gr.Error, match=msg):
        T.load_upload(_zip(tmp_path / "d.zip", {f"x/{name}": data}))


def test_zip_of_unusual_images_trains_on_the_right_pixels(tmp_path):
    conv = _converted()
    for name, (data, _) in conv.items():
        z = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(z, "w") as zf:
            for i in range(20):
                zf.writestr(f"{i}-{name}", data)
        x = T.load_upload(str(z)).x
        ref = image_to_gray(OK)
        assert x.shape == (18, 1, 28, 28)
        assert np.abs(x[0, 0].numpy() - ref).mean() < 0.03, name    # bright strokes on dark, like MNIST


def test_zip_member_names_never_touch_the_disk(tmp_path):
    names = {"../../../../tmp/latent-lab-evil.png": OK, "/tmp/latent-lab-evil-abs.png": OK,
             "..\\..\\evil.png": OK, "a/" + "b" * 300 + ".png": OK, "nul\x00.png": OK}
    data = T.load_upload(_zip(tmp_path / "names.zip", names))
    assert len(data) == 12       # 10 + 4 images ("nul\0.png" is cut at the NUL: not an image name), 2 held out
    assert not Path("/tmp/latent-lab-evil.png").exists() and not Path("/tmp/latent-lab-evil-abs.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.zip"]


def test_zip_bombs_and_floods_are_refused_before_decoding(tmp_path, monkeypatch):
    big = _zip(tmp_path / "big.zip", {"big.png": b"\0" * (T.MAX_UPLOAD + 1)}, compresslevel=1,
               compression=zipfile.ZIP_DEFLATED)
    assert Path(big).stat().st_size < 100_000                  # 20 MB of zeros in a few KB
    with pytest.raises(gr.Error, match="unpacks to more than"):
        T.load_upload(big)
    many = _zip(tmp_path / "many.zip", {}, n_ok=T.MAX_IMAGES + 1, compression=zipfile.ZIP_STORED)
    with pytest.raises(gr.Error, match="more than 20000 images"):
        T.load_upload(many)
    # every image under the per-image limit, together over the whole-zip pixel budget
    monkeypatch.setattr(generators.data, "MAX_ZIP_PIXELS", 20 * 28 * 28)
    with pytest.raises(gr.Error, match="pixels in all"):
        T.load_upload(_zip(tmp_path / "px.zip", {}, n_ok=21))


def test_corrupt_or_encrypted_zip_members_give_a_clear_error(tmp_path):
    z = Path(_zip(tmp_path / "crc.zip", {"x/bad.png": OK}, compression=zipfile.ZIP_STORED))
    raw = bytearray(z.read_bytes())
    i = raw.rfind(OK) + len(OK) // 2
    raw[i] ^= 0xFF                                                  # flip a byte of the last member: CRC mismatch
    z.write_bytes(bytes(raw))
    with pytest.raises(gr.Error, match="cannot be read|not a readable image"):
        T.load_upload(str(z))
    enc = tmp_path / "enc.zip"
    with zipfile.ZipFile(enc, "w") as zf:
        for i in range(10):
            zf.writestr(f"{i}.png", OK)
            zf.filelist[-1].flag_bits |= 0x1                        # marked encrypted
    with pytest.raises(gr.Error, match="cannot be read"):
        T.load_upload(str(enc))


def test_upload_path_that_cannot_be_read_is_a_clear_error(tmp_path):
    for path in (str(tmp_path / "missing.zip"), "x" * 100_000, str(tmp_path / ("y" * 300 + ".zip"))):
        with pytest.raises(gr.Error):
            T.load_upload(path)


def test_a_zip_or_npy_is_a_dataset_for_the_cli_too(tmp_path):
    """The engine ingests a user's files (generators.data.load_user_data), so `train --dataset my.zip` and
    `--dataset points.npy` work from the CLI with the Train tab's caps; a zip's images train unconditionally."""
    import subprocess
    import sys

    z = _zip(tmp_path / "mine.zip", {}, n_ok=20)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "generators", "train", "vae", "--dataset", z, "--steps", "2",
                        "--batch-size", "4", "--width", "4", "--hidden", "8", "--device", "cpu", "--sample-every", "0",
                        "--checkpoint-every", "0", "--out", str(tmp_path / "v")], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-600:]
    m = generators.load(tmp_path / "v", device="cpu")
    assert m.num_classes == 0 and m.meta["dataset"] == "mine"
    assert generators.build("gan", z, ngf=8, ndf=8).num_classes == 0
    pts = tmp_path / "pts.npy"
    np.save(pts, np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32))
    d = generators.data.load_dataset(str(pts), "train")
    assert d.kind == "points" and d.x.shape == (180, 2) and generators.data.dataset_kind(str(pts)) == "points"
    assert generators.build("gan", str(pts)).data_kind == "points"
    ones = tmp_path / "ones.npy"
    np.save(ones, np.arange(50.0))
    assert generators.data.load_dataset(str(ones)).x.shape == (45, 1)
    with pytest.raises(ValueError) as e:                             # 1-D data: no family of these four fits it
        generators.build("gan", str(ones))
    assert "\n" not in str(e.value)


class _Boom:
    def __reduce__(self):
        return (open, ("/tmp/latent-lab-npy-pwned", "w"))


def test_npy_uploads_are_never_unpickled_and_bad_ones_say_why(tmp_path):
    evil = tmp_path / "evil.npy"
    np.save(evil, np.array([_Boom()] * 20, dtype=object), allow_pickle=True)
    bad = {evil: "not a numeric", tmp_path / "three.npy": "N×2", tmp_path / "few.npy": "10 to",
           tmp_path / "nan.npy": "finite", tmp_path / "junk.npy": "not a numeric"}
    np.save(tmp_path / "three.npy", np.zeros((20, 3)))
    np.save(tmp_path / "few.npy", np.zeros((5, 2)))
    np.save(tmp_path / "nan.npy", np.full((20, 2), np.nan))
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    for path, msg in bad.items():
        with pytest.raises(gr.Error, match=msg):
            T.load_upload(str(path))
    assert not Path("/tmp/latent-lab-npy-pwned").exists()


# ----------------------------------------------------------------------------- over HTTP
def upload(url: str, name: str, data: bytes, ctype: str = "image/png"):
    b = uuid.uuid4().hex
    body = (f'--{b}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode()
    req = urllib.request.Request(url + "/gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={b}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def post(url: str, api: str, data: list):
    body = json.dumps({"data": data, "session_hash": "hostile-files"}).encode()
    req = urllib.request.Request(f"{url}/gradio_api/run/{api}", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def _drawing(path: str, name: str) -> dict:
    fd = {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": name}
    return {"background": fd, "layers": [], "composite": fd}


def test_hostile_drawings_posted_to_the_vae_tab_get_a_clear_error(app_url):
    for name, (data, _) in REFUSED.items():
        status, paths = upload(app_url, name, data)
        assert status == 200, paths
        status, body = post(app_url, "vae_encode", [_drawing(paths[0], name)])
        assert status != 200 and "The drawing" in body.get("error", ""), (name, body)
        assert "/" not in body["error"], "the message must not show server paths"
        status, body = post(app_url, "vae_encode", [_drawing(upload(app_url, "ok.png", OK)[1][0], "ok.png")])
        assert status == 200 and "On the 2D map" in body["data"][1], f"not served after {name}"
    for name, (data, _) in _converted().items():
        status, body = post(app_url, "vae_encode", [_drawing(upload(app_url, name, data)[1][0], name)])
        assert status == 200, (name, body)


def test_upload_route_caps_size_and_keeps_odd_names_inside_its_cache(app_url):
    status, _ = upload(app_url, "big.png", b"\0" * (20 * 1024 * 1024 + 1))
    assert status == 413
    cache = Path(os.environ["GRADIO_TEMP_DIR"]).resolve()
    for name in ("../../../../tmp/evil.png", "/etc/passwd", "..%2F..%2Fevil.png", "a" * 1000 + ".png",
                 "con.png", ".htaccess", "x.png\r\nX-Injected: 1"):
        status, paths = upload(app_url, name, OK)
        if status == 200:
            stored = Path(paths[0]).resolve()
            assert stored.is_relative_to(cache) and stored.read_bytes() == OK, (name, stored)
        else:
            assert status in (400, 413, 422), (name, status)
    assert not Path("/tmp/evil.png").exists()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


SECRET_FILES = [ROOT / "app.py", ROOT / "generators" / "base.py", ROOT / "ui" / "common.py",
                ROOT / "checkpoints" / "gan-mnist.safetensors", ROOT / "checkpoints" / "gan-mnist.json"]


def test_file_routes_serve_our_cache_but_no_sources_checkpoints_or_environment(app_url):
    status, paths = upload(app_url, "mine.png", OK)
    status, body = _get(f"{app_url}/gradio_api/file={paths[0]}")
    assert status == 200 and body == OK                       # the route works: what it refuses below is refused
    cache = Path(os.environ["GRADIO_TEMP_DIR"]).resolve()
    tried = 0
    for f in SECRET_FILES:
        secret = f.read_bytes()
        rel = os.path.relpath(f, cache)
        for p in (str(f), f.relative_to(ROOT).as_posix(), rel, f"{paths[0]}/../../{rel}",
                  f"{cache}/../{os.path.relpath(f, cache.parent)}", f"//{f}", f"{cache}/%2e%2e/{rel}"):
            for quoted in (urllib.parse.quote(p, safe="/%"), urllib.parse.quote(urllib.parse.quote(p, safe="/"), safe="/%")):
                for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
                    status, body = _get(app_url + prefix + quoted)
                    tried += 1
                    assert status != 200 or secret[:64] not in body, (prefix, p)
    for p in ("/proc/self/environ", "/proc/self/cmdline", "/proc/self/maps", "/etc/shadow"):
        for prefix in ("/gradio_api/file=", "/file="):
            status, body = _get(app_url + prefix + urllib.parse.quote(p))
            tried += 1
            assert status != 200 or (b"PATH=" not in body and b"python" not in body), p
    assert tried > 200


def test_one_session_cannot_find_anothers_download_by_guessing(app_url):
    """Downloads (trained models, PNGs, GIFs) go to a fresh random folder each: the name alone finds nothing."""
    from ui import common as C

    a, b = Path(C.temp_file(b"session A's model", "gan-8gaussians-100.zip")), \
        Path(C.temp_file(b"session B's model", "gan-8gaussians-100.zip"))
    assert a.parent != b.parent and a.name == b.name and len(a.parent.name) >= 8
    assert _get(f"{app_url}/gradio_api/file={a}") == (200, b"session A's model")     # its owner's link works
    for guess in (a.parent.parent / "gan-8gaussians-100.zip", a.parent.parent, a.parent,
                  a.parent.parent / "tmp00000000" / a.name, Path(os.environ["GRADIO_TEMP_DIR"])):
        status, body = _get(f"{app_url}/gradio_api/file={guess}")
        assert status != 200 or (b"session" not in body and b.name.encode() not in body), guess


# ----------------------------------------------------------------------------- checkpoint uploads
def test_hostile_checkpoint_uploads_give_clear_errors(tmp_path):
    import generators

    model = generators.build("gan", "8gaussians", hidden=8, latent_dim=2)
    w = generators.save_checkpoint(model, tmp_path / "m", dataset="8gaussians")
    W, J = w.read_bytes(), w.with_suffix(".json").read_bytes()
    deep = b"[" * 100_000 + b"]" * 100_000

    def z(name, members):
        p = tmp_path / name
        with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as zf:
            for n, b in members:
                zf.writestr(n, b)
        return p

    crc = z("crc.zip", [("m.safetensors", W), ("m.json", J)])
    raw = bytearray(crc.read_bytes())
    raw[raw.find(W) + len(W) // 2] ^= 0xFF
    crc.write_bytes(bytes(raw))
    enc = tmp_path / "enc.zip"
    with zipfile.ZipFile(enc, "w") as zf:
        for n, b in (("m.safetensors", W), ("m.json", J)):
            zf.writestr(n, b)
            zf.filelist[-1].flag_bits |= 0x1
    deep_header = struct.pack("<Q", len(deep)) + deep
    cases = {
        "bad CRC": ([crc], "cannot be read"),
        "encrypted": ([enc], "cannot be read"),
        "empty files": ([z("e.zip", [("m.safetensors", b""), ("m.json", b"")])], "not valid JSON"),
        "nested JSON config": ([z("d.zip", [("m.safetensors", W), ("m.json", deep)])], "not valid JSON"),
        "nested safetensors header": ([z("h.zip", [("m.safetensors", deep_header), ("m.json", J)])], "header"),
        "config not an object": ([z("j.zip", [("m.safetensors", W), ("m.json", b"[1, 2]")])], "JSON object"),
        "huge config field": ([z("f.zip", [("m.safetensors", W), ("m.json", J.replace(b'"hidden": 8',
                                                                                    b'"hidden": 100000000'))])],
                              "hidden"),
        "gone": ([tmp_path / "nope.zip"], "cannot be read"),
        "weights only": ([w], "both"),
    }
    for what, (files, msg) in cases.items():
        with pytest.raises(gr.Error, match=msg) as e:
            T.upload_checkpoint(None, [str(f) for f in files])
        assert "\n" not in str(e.value), what
    # member names are never used as paths: a traversal name just loads
    r, status = T.upload_checkpoint(None, [str(z("t.zip", [("../../m.safetensors", W), ("/abs/m.json", J)]))])
    assert r.model.name == "gan" and not Path("/abs").exists()
