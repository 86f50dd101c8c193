"""One suite over every registered family, as diffusers runs one common test class over every scheduler: a family
gets all of it by registering, with a tiny config in TINY below (a new family without one fails the first test).

Each family, on the kind of data it ships for: save → load gives an equal model; the same seed gives the same
output; a batch equals its samples drawn one by one (float64, FLOAT64_BOUND); a bad config is refused with a
one-line error; a few real training steps on a fixed batch lower its loss; `evaluate` reports its keys; and the
CLI's sample, train and eval run end to end."""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

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
FAMILIES = sorted(generators.REGISTRY)
FLOAT64_BOUND = 1e-8           # as tests/test_seeds.py derives it: float64 round-off through the samplers


def tiny(family: str, seed: int = 0):
    dataset, overrides, _, _ = TINY[family]
    return generators.build(family, dataset, seed=seed, **overrides).eval()


def draw(model, n: int, seed: int, **kw):
    labels = torch.arange(n) % model.num_classes if model.num_classes else None
    return model.sample(n, generator=make_generator(seed, model.device), labels=labels, **kw)


def same(a, b) -> bool:
    return a == b if isinstance(a, list) else torch.equal(a, b)


def test_every_registered_family_is_in_the_suite():
    assert set(TINY) == set(generators.REGISTRY)


@pytest.mark.parametrize("family", FAMILIES)
def test_save_then_load_gives_an_equal_model(family, tmp_path):
    m = tiny(family)
    generators.save_checkpoint(m, tmp_path / "m", dataset=TINY[family][0])
    m2 = generators.load(tmp_path / "m", device="cpu", family=family)
    assert m2.config == m.config and type(m2) is type(m)
    sd, sd2 = m.state_dict(), m2.state_dict()
    assert sd.keys() == sd2.keys() and all(torch.equal(sd[k], sd2[k]) for k in sd)
    assert same(draw(m, 4, 3), draw(m2, 4, 3))


@pytest.mark.parametrize("family", FAMILIES)
def test_the_same_seed_gives_the_same_output(family):
    m = tiny(family)
    a, b, c = draw(m, 6, 11), draw(m, 6, 11), draw(m, 6, 12)
    assert same(a, b) and not same(a, c)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_batch_equals_its_samples_one_by_one(family):
    m = copy.deepcopy(tiny(family)).to(torch.float64)
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


@pytest.mark.parametrize("family", FAMILIES)
def test_a_few_real_steps_lower_the_loss(family):
    """40 steps of the shared loop on one fixed batch of real data (the family's own `prepare_data`)."""
    m = tiny(family).train()
    data = m.prepare_data(load_dataset(TINY[family][0], "train"))
    idx = torch.randperm(len(data[0]), generator=make_generator(5))[:16]
    batch = tuple(t[idx] for t in data)
    state, gen, key = TrainState(m, m.configure_optimizers(3e-3)), make_generator(0), TINY[family][3]
    losses = [train_step(m, batch, state, generator=gen)[key] for _ in range(40)]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5, losses


EVAL_KEYS = {"image": {"fid", "fid_real", "precision", "recall", "n_samples"},
             "points": {"n_samples"}, "values": {"n_samples"}, "text": {"heldout_nll_per_char", "bigram_heldout_nll_per_char", "n_samples"}}


@pytest.mark.parametrize("family", FAMILIES)
def test_evaluate_reports_its_keys(family):
    from generators.metrics import evaluate

    m = tiny(family)
    r = evaluate(m, n=50, seed=0)
    assert {"family", "parameters", "device"} <= set(r) and r["family"] == family
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
