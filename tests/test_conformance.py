"""One suite over every registered family, as diffusers runs one common test class over every scheduler: a family
gets all of it by registering, with a tiny config in TINY below (a new family without one fails the first test).

Each family, on the kind of data it ships for: save → load gives an equal model; the same seed gives the same
output; a batch equals its samples drawn one by one (float64, FLOAT64_BOUND); a bad config is refused with a
one-line error; a few real training steps on a fixed batch lower its loss; `evaluate` reports its keys; and the
CLI's sample, train and eval run end to end. Every image family runs the model tests again on colour emoji
(3×32×32, COLOUR below), and the shipped MNIST checkpoints still draw what they drew before colour came."""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import generators
from generators.base import make_generator
from generators.data import load_dataset
from generators.recipe import TrainState
from generators.train import train_step

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}

# family → (dataset, tiny config overrides, CLI flags that build the same tiny config, the loss that must fall)
TINY = {
    "gan": ("mnist", dict(latent_dim=8, ngf=8, ndf=8), ["--latent-dim", "8", "--ngf", "8", "--ndf", "8"], "d_loss"),
    "vae": ("mnist", dict(latent_dim=4, width=4, hidden=16), ["--latent-dim", "4", "--width", "4", "--hidden", "16"],
            "loss"),
    "diffusion": ("mnist", dict(channels=8), ["--channels", "8"], "loss"),
    "autoregressive": ("names", dict(n_layer=1, n_embd=16), ["--n-layer", "1", "--n-embd", "16"], "loss"),
    "gaussian": ("8gaussians", dict(components=2), ["--components", "2"], "nll"),
}
# image family → the same on colour emoji (3×32×32, 9 classes): its case is "<family>-emoji"
COLOUR = {
    "gan": ("emoji", dict(latent_dim=8, ngf=8, ndf=8), ["--latent-dim", "8", "--ngf", "8", "--ndf", "8"], "d_loss"),
    "vae": ("emoji", dict(latent_dim=4, width=4, hidden=16), ["--latent-dim", "4", "--width", "4", "--hidden", "16"],
            "loss"),
    "diffusion": ("emoji", dict(channels=8), ["--channels", "8"], "loss"),
}
FAMILIES = sorted(generators.REGISTRY)
CASES = FAMILIES + [f"{f}-emoji" for f in sorted(COLOUR)]
FLOAT64_BOUND = 1e-8           # as tests/test_seeds.py derives it: float64 round-off through the samplers


def spec(case: str):
    """A case (a family, or "<family>-emoji") → (family, dataset, overrides, CLI flags, the loss that must fall)."""
    family, colour = case.removesuffix("-emoji"), case.endswith("-emoji")
    return (family, *(COLOUR if colour else TINY)[family])


def tiny(case: str, seed: int = 0):
    family, dataset, overrides, _, _ = spec(case)
    return generators.build(family, dataset, seed=seed, **overrides).eval()


def draw(model, n: int, seed: int, **kw):
    labels = torch.arange(n) % model.num_classes if model.num_classes else None
    return model.sample(n, generator=make_generator(seed, model.device), labels=labels, **kw)


def same(a, b) -> bool:
    return a == b if isinstance(a, list) else torch.equal(a, b)


def test_every_registered_family_is_in_the_suite():
    assert set(TINY) == set(generators.REGISTRY)
    images = {f for f in FAMILIES if tiny(f).data_kind == "image"}
    assert images == set(COLOUR), "every image family also runs on colour emoji"


@pytest.mark.parametrize("family", sorted(COLOUR))
def test_colour_models_draw_colour_emoji_for_their_classes(family):
    """config_for("emoji") sizes the networks for the data: 3×32×32 RGB in [0, 1], conditional on the 9 groups."""
    from generators.data import load_dataset

    m = tiny(f"{family}-emoji")
    data = load_dataset("emoji", "train")
    assert m.image_shape == tuple(data.x.shape[1:]) == (3, 32, 32) and m.num_classes == data.num_classes == 9
    x = draw(m, 9, 0)
    assert x.shape == (9, 3, 32, 32) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert not torch.equal(x[:, 0], x[:, 1])                      # the channels are not one grey copied
    with pytest.raises(ValueError, match="0..8"):
        m.sample(1, generator=make_generator(0), labels=9)
    assert tiny(family).image_shape == (1, 28, 28)                 # MNIST's stay grey 28×28


# What the shipped MNIST checkpoints drew before the families learnt colour (computed with the code before the
# change; on this machine today's output is byte-identical): per sample [mean, mean of x², mean of x·i/D] over its
# D = 784 pixels i. Float32 round-off through these networks is ~1e-6 per pixel on any CPU, so the means agree to
# ATOL_SHIPPED; a changed layer, order of layers or weight moves them by orders of magnitude more.
SHIPPED_MNIST = {
    "gan-mnist:sample": [[0.064811, 0.0543347, 0.0320895], [0.104306, 0.0868076, 0.0532485],
                         [0.1667652, 0.1323984, 0.0879927], [0.094888, 0.0768355, 0.0550897]],
    "vae-mnist:sample": [[0.0961736, 0.065355, 0.0491528], [0.151285, 0.1119339, 0.0795351],
                         [0.1495275, 0.1210244, 0.0762417], [0.1249971, 0.1006384, 0.0651109]],
    "vae-mnist:recon": [[0.1651276, 0.1338542, 0.0837665], [0.1885024, 0.1583163, 0.0998324],
                        [0.1585537, 0.1281925, 0.0806044], [0.0661199, 0.0355185, 0.0343498]],
    "vae-mnist-2d:sample": [[0.1479814, 0.0792199, 0.0777517], [0.108865, 0.0663832, 0.056301],
                            [0.1613174, 0.1033373, 0.0833477], [0.1354109, 0.091694, 0.0702358]],
    "vae-mnist-2d:recon": [[0.2037231, 0.1500541, 0.1045707], [0.1767872, 0.1217186, 0.0923395],
                           [0.1746676, 0.1224968, 0.0903327], [0.1611854, 0.0975849, 0.0843543]],
    "diffusion-mnist:sample": [[0.1196629, 0.099713, 0.0600154], [0.1637901, 0.1334706, 0.0869211],
                               [0.1732821, 0.1470101, 0.0896093], [0.1228356, 0.1035744, 0.0643924]],
}
ATOL_SHIPPED = 2e-5


def _moments(x: torch.Tensor) -> torch.Tensor:
    f = x.detach().double().flatten(1)
    i = torch.arange(f.shape[1], dtype=torch.float64) / f.shape[1]
    return torch.stack([f.mean(1), f.pow(2).mean(1), (f * i).mean(1)], 1)


@pytest.mark.parametrize("name", ["gan-mnist", "vae-mnist", "vae-mnist-2d", "diffusion-mnist"])
def test_shipped_mnist_checkpoints_draw_what_they_drew_before_colour(name):
    m = generators.load(name, device="cpu")
    assert m.image_shape == (1, 28, 28)
    labels = [1, 3, 5, 7] if m.num_classes else None
    off = {"noise_clip": 0} if name.startswith("diffusion") else {}    # the x_T clip of issue 30 came later
    got = {f"{name}:sample": m.sample(4, generator=make_generator(0), labels=labels, **off)}
    if name.startswith("vae"):
        got[f"{name}:recon"] = m.reconstruct(load_dataset("mnist", "heldout").x[:4])
    for key, x in got.items():
        assert torch.allclose(_moments(x), torch.tensor(SHIPPED_MNIST[key], dtype=torch.float64),
                              atol=ATOL_SHIPPED, rtol=0), key


@pytest.mark.parametrize("case", CASES)
def test_save_then_load_gives_an_equal_model(case, tmp_path):
    family, dataset = spec(case)[:2]
    m = tiny(case)
    generators.save_checkpoint(m, tmp_path / "m", dataset=dataset)
    m2 = generators.load(tmp_path / "m", device="cpu", family=family)
    assert m2.config == m.config and type(m2) is type(m)
    sd, sd2 = m.state_dict(), m2.state_dict()
    assert sd.keys() == sd2.keys() and all(torch.equal(sd[k], sd2[k]) for k in sd)
    assert same(draw(m, 4, 3), draw(m2, 4, 3))


def test_a_checkpoint_stored_in_float16_loads_into_float32(tmp_path):
    """The shipped emoji checkpoints hold float16 weights (half the bytes): they load into the float32 model as
    exactly those values (float64 and other mismatches are still refused: test_foundation)."""
    from generators.base import read_safetensors

    m = tiny("gan-emoji")
    generators.save_checkpoint(m, tmp_path / "f32", dataset="emoji")
    generators.save_checkpoint(copy.deepcopy(m).half(), tmp_path / "f16", dataset="emoji")
    stored = read_safetensors(tmp_path / "f16.safetensors")
    assert {t.dtype for t in stored.values() if t.is_floating_point()} == {torch.float16}
    assert (tmp_path / "f16.safetensors").stat().st_size < 0.55 * (tmp_path / "f32.safetensors").stat().st_size
    m2 = generators.load(tmp_path / "f16", device="cpu")
    assert m2.dtype == torch.float32
    for k, v in m.state_dict().items():
        assert torch.equal(m2.state_dict()[k], v.half().float() if v.is_floating_point() else v), k


@pytest.mark.parametrize("case", CASES)
def test_the_same_seed_gives_the_same_output(case):
    m = tiny(case)
    a, b, c = draw(m, 6, 11), draw(m, 6, 11), draw(m, 6, 12)
    assert same(a, b) and not same(a, c)


@pytest.mark.parametrize("case", CASES)
def test_a_batch_equals_its_samples_one_by_one(case):
    m = copy.deepcopy(tiny(case)).to(torch.float64)
    if m.data_kind == "text":                   # no latents: what a batch computes is each name's likelihood
        names = ["anna", "bob", "christopher", "dee"]
        batch, single = m.nll(names), [m.nll([t])[0] for t in names]
        assert max(abs(a - b) for a, b in zip(batch, single)) < FLOAT64_BOUND
        assert len(set(round(v, 6) for v in batch)) == len(names)
        return
    z = m.draw_latents(3, make_generator(1)).double()
    labels = torch.tensor([1, 5, 7]) if m.num_classes else None
    batch = m.sample(3, generator=make_generator(2), latents=z, labels=labels)
    single = torch.cat([m.sample(1, generator=make_generator(2), latents=z[i:i + 1],
                                 labels=None if labels is None else int(labels[i])) for i in range(3)])
    assert batch.dtype == torch.float64 and (batch - single).abs().max() < FLOAT64_BOUND
    assert (batch[0] - batch[1]).abs().max() > 1e-6                  # the samples do differ


@pytest.mark.parametrize("family", FAMILIES)
def test_a_bad_config_is_refused_with_one_line(family):
    cls = generators.REGISTRY[family]
    base = cls.config_for(TINY[family][0], **TINY[family][1])
    ints = [f.name for f in dataclasses.fields(base)
            if isinstance(getattr(base, f.name), int) and not isinstance(getattr(base, f.name), bool)
            and getattr(base, f.name) > 0]
    assert ints
    for name in ints:                       # every positive whole-number field: −1 and 10¹² are refused…
        for bad in (-1, 10**12):
            with pytest.raises(ValueError) as e:
                dataclasses.replace(base, **{name: bad})
            assert "\n" not in str(e.value) and str(e.value)
    from generators.base import CheckpointError, config_from_json

    with pytest.raises(CheckpointError) as e:         # …and so is an unknown field in a checkpoint's JSON
        config_from_json(cls.Config, {**dataclasses.asdict(base), "no_such_field": 1})
    assert "no_such_field" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("case", CASES)
def test_a_few_real_steps_lower_the_loss(case):
    """40 steps of the shared loop on one fixed batch of real data (the family's own `prepare_data`)."""
    _, dataset, _, _, key = spec(case)
    m = tiny(case).train()
    data = m.prepare_data(load_dataset(dataset, "train"))
    idx = torch.randperm(len(data[0]), generator=make_generator(5))[:16]
    batch = tuple(t[idx] for t in data)
    state, gen = TrainState(m, m.configure_optimizers(3e-3)), make_generator(0)
    losses = [train_step(m, batch, state, generator=gen)[key] for _ in range(40)]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5, losses


EVAL_KEYS = {"image": {"fid", "fid_real", "precision", "recall", "n_samples"},
             "points": {"n_samples"}, "values": {"n_samples"}, "text": {"heldout_nll_per_char", "bigram_heldout_nll_per_char", "n_samples"}}


@pytest.mark.parametrize("case", CASES)
def test_evaluate_reports_its_keys(case):
    from generators.metrics import evaluate

    m = tiny(case)
    r = evaluate(m, n=50, seed=0)
    assert {"family", "parameters", "device"} <= set(r) and r["family"] == spec(case)[0]
    assert EVAL_KEYS[m.data_kind] <= set(r), sorted(r)
    json.dumps(r)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_cli_trains_samples_and_evaluates(family, tmp_path):
    dataset, _, flags, _ = TINY[family]
    cli = [sys.executable, "-m", "generators"]
    run = tmp_path / "run"

    def ok(*args):
        r = subprocess.run([*cli, *args], env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-800:]
        return r

    ok("train", family, "--dataset", dataset, *flags, "--steps", "3", "--batch-size", "8", "--device", "cpu",
       "--checkpoint-every", "0", "--sample-every", "0", "--out", str(run))
    text = tiny(family).data_kind == "text"
    out = tmp_path / ("s.txt" if text else "s.npy")
    ok("sample", family, "--checkpoint", str(run) + ".safetensors", "--n", "4", "--seed", "1", "--out", str(out))
    assert out.exists() and out.stat().st_size > 0
    r = ok("eval", family, "--checkpoint", str(run) + ".safetensors", "--n", "50")
    assert json.loads(r.stdout)["family"] == family


def test_the_cli_writes_colour_samples_as_rgb(tmp_path):
    """A colour model's .npy is uint8 N×32×32×3 (grey ones stay N×H×W), its .png an RGB grid; --label works."""
    from PIL import Image

    from generators.__main__ import main

    run, npy, png = tmp_path / "run", tmp_path / "s.npy", tmp_path / "s.png"
    m = tiny("gan-emoji")
    generators.save_checkpoint(m, run, dataset="emoji")
    assert main(["sample", "gan", "--checkpoint", str(run), "--label", "2", "--n", "4", "--out", str(npy)]) == 0
    a = np.load(npy, allow_pickle=False)
    want = m.sample(4, generator=make_generator(0), labels=2)            # the CLI's default seed is 0
    assert a.shape == (4, 32, 32, 3) and a.dtype == np.uint8
    assert np.array_equal(a, (want.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy())
    assert main(["sample", "gan", "--checkpoint", str(run), "--label", "2", "--n", "4", "--out", str(png)]) == 0
    with Image.open(png) as im:
        assert im.mode == "RGB" and im.size == (2 * 34 + 2, 2 * 34 + 2)           # 2×2 tiles of 32 + 2 px pad
        grid = np.asarray(im)
    assert np.array_equal(grid[2:34, 2:34], a[0]) and np.array_equal(grid[2:34, 36:68], a[1])
    assert main(["sample", "gan", "--checkpoint", str(run), "--label", "9", "--n", "4", "--out", str(png)]) == 2
