"""The skeleton every family plugs into: data splits, checkpoints, devices, seeds, the CLI."""
from __future__ import annotations

import gzip
import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import generators
from generators import base, data

ROOT = Path(__file__).resolve().parent.parent


def tiny_gan(**kw):
    return generators.build("gan", "mnist", latent_dim=8, ngf=8, ndf=8, **kw)


# ----------------------------------------------------------------------------- data
def test_mnist_split_is_index_mod_10():
    train, held, all_ = data.load_mnist("train"), data.load_mnist("heldout"), data.load_mnist("all")
    assert len(all_) == 5000 and len(held) == 500 and len(train) == 4500
    assert torch.equal(held.x, all_.x[::10])
    assert held.y.bincount().tolist() == [50] * 10
    assert 0.0 <= float(train.x.min()) and float(train.x.max()) <= 1.0 and train.x.shape[1:] == (1, 28, 28)
    # no held-out image appears in the training split
    flat_train = {bytes(x.numpy().tobytes()) for x in train.x}
    assert not any(bytes(x.numpy().tobytes()) in flat_train for x in held.x)


@pytest.mark.parametrize("name", data.TOY_SETS)
def test_toy_sets_seeded_and_shaped(name):
    a = data.sample_toy(name, 500, torch.Generator().manual_seed(1))
    b = data.sample_toy(name, 500, torch.Generator().manual_seed(1))
    c = data.sample_toy(name, 500, torch.Generator().manual_seed(2))
    assert a.shape == (500, 2) and torch.equal(a, b) and not torch.equal(a, c)
    assert torch.isfinite(a).all()


def test_8gaussians_geometry():
    pts = data.sample_toy("8gaussians", 4000, torch.Generator().manual_seed(0))
    d = torch.cdist(pts, data.toy_modes("8gaussians")).min(1).values
    assert float(d.max()) < 0.15                       # std 0.02: everything within ~7σ of a mode
    assert data.toy_modes("8gaussians").norm(dim=1).allclose(torch.tensor(2.0))
    assert set(data.toy_modes("25gaussians").flatten().tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_names_split():
    allnames = data.load_names("names", "all").texts
    held = data.load_names("names", "heldout").texts
    assert allnames == sorted(set(allnames)) and all(n == n.lower() for n in allnames)
    assert held == allnames[::10]
    assert not set(held) & set(data.load_names("names", "train").texts)


def _write_idx(path: Path, arr: np.ndarray, code: int) -> None:
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(">u1" if code == 8 else arr.dtype).tobytes())


def test_full_mnist_download_and_parse(tmp_path):
    """The real download code, pointed at IDX files this test writes (file:// URL: no network)."""
    src = tmp_path / "mirror"
    src.mkdir()
    rng = np.random.default_rng(0)
    imgs = {"train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
            "heldout": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)}
    labs = {"train": rng.integers(0, 10, 12, dtype=np.uint8), "heldout": rng.integers(0, 10, 5, dtype=np.uint8)}
    for split, (fi, fl) in data.MNIST_FILES.items():
        _write_idx(src / fi, imgs[split], 8)
        _write_idx(src / fl, labs[split], 8)
    cache = tmp_path / "cache"
    data.download_mnist(cache, base_url=src.as_uri() + "/")
    ds = data.load_mnist_full("train", cache_dir=cache, download=False)
    assert ds.x.shape == (12, 1, 28, 28)
    assert np.allclose(ds.x.numpy()[:, 0] * 255, imgs["train"])
    assert ds.y.tolist() == labs["train"].tolist()
    assert len(data.load_mnist_full("heldout", cache_dir=cache, download=False)) == 5
    assert not list((cache / "mnist").glob("*.part"))


def test_parse_idx_rejects_garbage(tmp_path):
    p = tmp_path / "bad.idx"
    p.write_bytes(b"\x01\x02\x03\x04garbage")
    with pytest.raises(ValueError, match="not an IDX"):
        data.parse_idx(p)


# ----------------------------------------------------------------------------- seeds and devices
def test_seed_validation():
    assert base.check_seed(0) == 0 and base.check_seed(2**63 - 1) == 2**63 - 1
    for bad in (-1, 2**64, float("nan"), float("inf"), 1.5, "7", True, None):
        with pytest.raises(ValueError):
            base.check_seed(bad)


def test_device_auto_is_cpu_here_or_cuda():
    d = base.resolve_device("auto")
    assert d.type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError):
        base.resolve_device("tpu")


def test_sampling_uses_private_generator_not_global_rng():
    m = tiny_gan().eval()
    torch.manual_seed(0)
    a = m.sample(4, generator=base.make_generator(5), labels=1)
    torch.manual_seed(999)                       # the global RNG must not matter
    b = m.sample(4, generator=base.make_generator(5), labels=1)
    assert torch.equal(a, b)
    state = torch.random.get_rng_state()
    m.sample(4, generator=base.make_generator(5))
    assert torch.equal(state, torch.random.get_rng_state())   # and must not be touched


# ----------------------------------------------------------------------------- checkpoints
def test_checkpoint_round_trip(tmp_path):
    m = tiny_gan().eval()
    path = base.save_checkpoint(m, tmp_path / "g", dataset="mnist", steps=7, metrics={"x": 1.0})
    meta = json.loads((tmp_path / "g.json").read_text())
    assert meta["family"] == "gan" and meta["steps"] == 7 and meta["dataset"] == "mnist"
    assert meta["format_version"] == base.FORMAT_VERSION and meta["config"]["latent_dim"] == 8
    m2 = generators.load(path, device="cpu")
    for k, v in m.state_dict().items():
        assert torch.equal(v, m2.state_dict()[k]), k
    g = lambda: base.make_generator(3)  # noqa: E731
    assert torch.equal(m.sample(3, generator=g(), labels=2), m2.sample(3, generator=g(), labels=2))
    assert not list(tmp_path.glob("*.tmp"))                # atomic save leaves no temp file


def test_load_by_family_and_shipped_name():
    assert generators.resolve_checkpoint("gan") == generators.resolve_checkpoint("gan-mnist")
    assert "gan-mnist" in generators.shipped_checkpoints()
    with pytest.raises(generators.CheckpointError, match="unknown checkpoint"):
        generators.load("no-such-model")


def _saved(tmp_path):
    m = tiny_gan()
    base.save_checkpoint(m, tmp_path / "g", dataset="mnist")
    return m, tmp_path / "g.safetensors", tmp_path / "g.json"


def test_bad_checkpoints_refused_with_one_line(tmp_path):
    m, w, c = _saved(tmp_path)
    good = w.read_bytes()
    cases = {
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "huge header": struct.pack("<Q", 2**40) + b"{}",
        "not json": struct.pack("<Q", 4) + b"\xff\xfe\x00\x01",
        "pickle": pickle.dumps({"a": 1}),
    }
    for what, blob in cases.items():
        w.write_bytes(blob)
        with pytest.raises(generators.CheckpointError) as e:
            generators.load(w)
        assert "\n" not in str(e.value), what


def test_checkpoint_declaring_huge_tensor_refused(tmp_path):
    _, w, _ = _saved(tmp_path)
    header = json.dumps({"G.net.0.weight": {"dtype": "F32", "shape": [2**20, 2**20], "data_offsets": [0, 2**42]}})
    w.write_bytes(struct.pack("<Q", len(header)) + header.encode() + b"\0" * 64)
    with pytest.raises(generators.CheckpointError, match="declares"):
        generators.load(w)


def test_wrong_keys_shapes_dtypes_nan_refused(tmp_path):
    from safetensors.torch import save_file

    m, w, c = _saved(tmp_path)
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    first = next(k for k, v in sd.items() if v.is_floating_point())
    variants = {
        "missing": {k: v for k, v in sd.items() if k != first},
        "shape": {**sd, first: torch.zeros(3)},
        "dtype": {**sd, first: sd[first].double()},
        "NaN": {**sd, first: torch.full_like(sd[first], float("nan"))},
        "unexpected": {**sd, "evil": torch.zeros(1)},
    }
    for what, tensors in variants.items():
        save_file(tensors, str(w))
        with pytest.raises(generators.CheckpointError):
            generators.load(w)


def test_bad_configs_refused(tmp_path):
    _, w, c = _saved(tmp_path)
    meta = json.loads(c.read_text())
    for change in ({"family": "evil"}, {"format_version": 99}, {"config": {**meta["config"], "latent_dim": 10**9}},
                   {"config": {**meta["config"], "__class__": "os.system"}}):
        c.write_text(json.dumps({**meta, **change}))
        with pytest.raises(generators.CheckpointError):
            generators.load(w)
    c.write_text("{not json")
    with pytest.raises(generators.CheckpointError, match="not valid JSON"):
        generators.load(w)


def test_load_family_mismatch(tmp_path):
    _, w, _ = _saved(tmp_path)
    with pytest.raises(generators.CheckpointError, match="not vae"):
        generators.load(w, family="vae")


# ----------------------------------------------------------------------------- CLI
def cli(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "generators", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300, **kw)


def test_cli_sample_png_and_npy_byte_identical(tmp_path):
    for ext in ("png", "npy"):
        outs = []
        for i in range(2):
            out = tmp_path / f"s{i}.{ext}"
            r = cli("sample", "gan", "--n", "6", "--seed", "11", "--label", "4", "--out", str(out))
            assert r.returncode == 0, r.stderr
            outs.append(out.read_bytes())
        assert outs[0] == outs[1]
    arr = np.load(tmp_path / "s0.npy")
    assert arr.dtype == np.uint8 and arr.shape == (6, 28, 28)
    r = cli("sample", "gan", "--n", "6", "--seed", "12", "--label", "4", "--out", str(tmp_path / "t.npy"))
    assert r.returncode == 0 and not np.array_equal(np.load(tmp_path / "t.npy"), arr)


def test_cli_sample_points(tmp_path):
    out = tmp_path / "p.npy"
    r = cli("sample", "gan", "--checkpoint", "gan-8gaussians", "--n", "50", "--out", str(out))
    assert r.returncode == 0, r.stderr
    pts = np.load(out)
    assert pts.dtype == np.float32 and pts.shape == (50, 2)


@pytest.mark.parametrize("args,msg", [
    (("sample", "nope", "--out", "x.png"), "invalid choice"),
    (("sample", "gan", "--n", "0", "--out", "x.png"), "must be in 1.."),
    (("sample", "gan", "--n", "100000000", "--out", "x.png"), "must be in 1.."),
    (("sample", "gan", "--label", "10", "--out", "x.png"), "label must be in 0..9"),
    (("sample", "gan", "--label", "3", "--checkpoint", "gan-8gaussians", "--out", "x.npy"), "unconditional"),
    (("sample", "gan", "--seed", "-1", "--out", "x.png"), "seed"),
    (("sample", "gan", "--checkpoint", "missing-ckpt", "--out", "x.png"), "unknown checkpoint"),
    (("sample", "gan", "--out", "x.bmp"), "unknown output type"),
    (("train", "gan", "--dataset", "cifar", "--steps", "1"), "unknown dataset"),
    (("train", "gan", "--dataset", "names", "--steps", "1"), "not text"),
    (("train", "gan", "--steps", "1", "--loss", "mse"), "loss must be one of"),
])
def test_cli_bad_arguments_exit_2_one_line(args, msg, tmp_path):
    r = cli(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert msg in r.stderr
    assert "Traceback" not in r.stderr
    assert lines[-1].startswith(("error:", "usage:", "python -m generators")) or len(lines) <= 3


def test_cli_bad_checkpoint_file_one_line(tmp_path):
    bad = tmp_path / "evil.safetensors"
    bad.write_bytes(pickle.dumps([1, 2, 3]))
    (tmp_path / "evil.json").write_text("{}")
    r = cli("sample", "gan", "--checkpoint", str(bad), "--out", str(tmp_path / "o.png"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_train_tiny_then_resume(tmp_path):
    out = tmp_path / "run"
    r = cli("train", "gan", "--dataset", "8gaussians", "--steps", "5", "--batch-size", "16", "--hidden", "16",
            "--device", "cpu", "--out", str(out), "--checkpoint-every", "0")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "run.json").read_text())["steps"] == 5
    r = cli("train", "gan", "--resume", str(out), "--steps", "3", "--batch-size", "16", "--device", "cpu",
            "--out", str(out), "--checkpoint-every", "0")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "run.json").read_text())["steps"] == 8
    m = generators.load(out)
    assert m.config.hidden == 16 and m.meta["dataset"] == "8gaussians"


def test_cli_help_on_every_flag():
    r = cli("train", "gan", "--help")
    assert r.returncode == 0 and "--batch-size" in r.stdout and "--loss" in r.stdout and "--n-critic" in r.stdout
    r = cli("sample", "gan", "--help")
    assert "--truncation" in r.stdout and "--label" in r.stdout
