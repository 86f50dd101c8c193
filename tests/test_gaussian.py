"""The gaussian family (real fits on real data), its CLI, and its tab's handlers and Train-tab hooks."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch

import generators
from generators import gaussian as G
from generators.base import make_generator
from generators.data import load_dataset, load_toy, toy_modes
from generators.gaussian import Gaussian, GaussianConfig
from generators.metrics import TOY_STD, evaluate, mode_stats
from generators.recipe import run_defaults
from generators.train import train
from ui import gaussian as U

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def fitted(dataset: str, **overrides):
    """A model trained by the shared loop with the family's default run (the CLI's) for `dataset`."""
    m = generators.build("gaussian", dataset, seed=0, **overrides)
    d = run_defaults(m, dataset)
    for _ in train(m, load_dataset(dataset, "train"), steps=d.steps, batch_size=d.batch_size, recipe=d.recipe,
                   seed=0, sample_every=0):
        pass
    return m.eval()


@pytest.fixture(scope="module")
def values_npy(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("data") / "values.npy"
    np.save(p, (3.0 + 2.0 * np.random.default_rng(0).standard_normal(3000)).astype(np.float32))
    return p


# ----------------------------------------------------------------------------- the maths
@pytest.mark.parametrize("name", [*G.DEMO_SETS, "typed"])
def test_1d_gradient_descent_lands_on_the_closed_form(name):
    x = G.parse_numbers(U.EXAMPLE) if name == "typed" else G.demo_data(name, 500, 0)
    mu_hat, s_hat = G.closed_form_fit(x)
    f = G.descend(x, G.start_fit(x), lr=U.LR_DEFAULT, steps=300)
    assert abs(f.mu - mu_hat) < 1e-3 and abs(f.sigma - s_hat) < 1e-3, (f, mu_hat, s_hat)
    assert f.step == 300 and len(f.curve) == 301 and f.curve[-1] < f.curve[0]
    assert f.curve[-1] == pytest.approx(G.normal_nll(x, mu_hat, s_hat), abs=1e-9)
    # step by step is the same walk as all at once (to the round-off of going to the frame and back)
    g = G.start_fit(x)
    for _ in range(5):
        g = G.descend(x, g, lr=U.LR_DEFAULT, steps=1)
    h = G.descend(x, G.start_fit(x), lr=U.LR_DEFAULT, steps=5)
    assert g.step == h.step and np.allclose([g.mu, g.sigma, *g.curve], [h.mu, h.sigma, *h.curve], rtol=1e-12)


def test_closed_form_is_numpys_mean_and_biased_variance():
    x1 = np.random.default_rng(1).standard_normal(200) * 3 + 1
    mean, var = Gaussian.closed_form(x1)
    assert float(mean) == pytest.approx(np.mean(x1), rel=1e-12) and float(var) == pytest.approx(np.var(x1), rel=1e-12)
    x2 = load_toy("8gaussians", "heldout").x.numpy()
    mean, cov = Gaussian.closed_form(x2)
    assert np.allclose(mean.numpy(), x2.mean(0), atol=1e-7) and np.allclose(cov.numpy(), np.cov(x2.T, bias=True),
                                                                          atol=1e-7)


def test_a_mixture_on_8gaussians_covers_every_mode_and_beats_one_gaussian():
    k8, k1 = fitted("8gaussians", components=8), fitted("8gaussians", components=1)
    stats = mode_stats(k8.sample(2000, generator=make_generator(0)), toy_modes("8gaussians"), TOY_STD["8gaussians"])
    assert stats["modes_covered"] == 8 and stats["high_quality"] > 0.95, stats
    held = load_toy("8gaussians", "heldout").x
    r8, r1 = evaluate(k8, n=1000), evaluate(k1, n=1000)
    assert r8["modes_covered"] == 8 and r8["heldout_nll"] == pytest.approx(k8.nll(held))
    assert r8["heldout_nll"] < -2.85 < 3.5 < r1["heldout_nll"]              # the true density's: −2.907
    # one Gaussian by gradient descent is the closed form's (its held-out NLL to 0.01 nats)
    assert r1["heldout_nll"] == pytest.approx(r1["heldout_nll_one_gaussian"], abs=0.01)


def test_log_prob_is_a_normalised_density_in_data_units(values_npy):
    m = generators.build("gaussian", str(values_npy), seed=0, components=3)
    grid = torch.linspace(-20, 26, 20001)
    assert float(torch.trapezoid(m.log_prob(grid).exp(), grid)) == pytest.approx(1.0, abs=1e-4)
    k1 = generators.build("gaussian", "8gaussians", seed=2, components=1)
    _, mu, cov = k1.mixture_components()
    x = load_toy("8gaussians", "heldout").x[:50]
    ref = torch.distributions.MultivariateNormal(mu[0], covariance_matrix=cov[0]).log_prob(x)
    assert torch.allclose(k1.log_prob(x), ref, atol=1e-4)


def test_samples_shapes_dtypes_seeds_and_weights(values_npy):
    m2 = generators.build("gaussian", "8gaussians", seed=0)
    m1 = generators.build("gaussian", str(values_npy), seed=0)
    for m, shape in ((m2, (7, 2)), (m1, (7,))):
        a = m.sample(7, generator=make_generator(3))
        assert a.shape == shape and a.dtype == torch.float32 and bool(torch.isfinite(a).all())
        assert torch.equal(a, m.sample(7, generator=make_generator(3)))
        assert not torch.equal(a, m.sample(7, generator=make_generator(4)))
        z = m.draw_latents(7, make_generator(3))
        assert torch.equal(a, m.sample(7, generator=make_generator(99), latents=z))     # latents fix every draw
        with pytest.raises(ValueError, match="unconditional"):
            m.sample(2, generator=make_generator(0), labels=1)
    state = torch.random.get_rng_state()
    generators.build("gaussian", "8gaussians", seed=5).sample(100, generator=make_generator(1))
    G.discriminate(G.demo_data("bimodal", 100, 1), 0.0, 1.0, seed=2)
    assert torch.equal(state, torch.random.get_rng_state())                   # never the global RNG
    # the component is drawn with probability π_k (through Φ(z₁)), and z'₁ is again N(0, 1)
    m3 = generators.build("gaussian", str(values_npy), seed=0, components=3)
    with torch.no_grad():
        m3.mixture.means.copy_(torch.tensor([[-20.0], [0.0], [20.0]]))
        m3.mixture.logits.copy_(torch.tensor([0.2, 0.5, 0.3]).log())
    s = m3.sample(40_000, generator=make_generator(0))
    z = (s - m3.mixture.loc) / m3.mixture.scale                              # in the frame: −20, 0, 20 ± 0.25
    frac = torch.bucketize(z, torch.tensor([-10.0, 10.0])).bincount(minlength=3).float() / len(s)
    assert torch.allclose(frac, torch.tensor([0.2, 0.5, 0.3]), atol=0.01), frac
    for centre in (-20.0, 0.0, 20.0):
        near = z[(z - centre).abs() < 10] - centre
        assert abs(float(near.mean())) < 0.01 and float(near.std()) == pytest.approx(0.25, rel=0.03)


def test_a_bad_config_is_refused_with_one_line():
    bad = [dict(dim=3), dict(components=0), dict(components=65), dict(lr=float("nan")), dict(init_sigma=-1.0),
           dict(loc=(0.0,)), dict(loc=(0.0, 0.0)), dict(loc=(0.0, 0.0), scale=(1.0, -1.0)),
           dict(loc=(0.0, float("inf")), scale=(1.0, 1.0)), dict(dataset=5)]
    for kw in bad:
        with pytest.raises(ValueError) as e:
            GaussianConfig(**kw)
        assert "\n" not in str(e.value) and str(e.value), kw
    for ds, kw in (("mnist", {}), ("names", {}), ("8gaussians", {"dim": 1})):
        with pytest.raises(ValueError) as e:
            Gaussian.config_for(ds, **kw)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="points or numbers"):
        Gaussian.config_for("mnist")


def test_evaluate_a_1d_model(values_npy):
    m = fitted(str(values_npy))
    r = evaluate(m, n=500)
    x = load_dataset(str(values_npy), "train").x[:, 0]
    mean, var = Gaussian.closed_form(x)
    assert r["family"] == "gaussian" and r["mean"] == pytest.approx(float(mean), abs=0.02)
    assert r["std"] == pytest.approx(math.sqrt(float(var)), abs=0.02)
    assert r["heldout_nll"] == pytest.approx(r["heldout_nll_one_gaussian"], abs=0.01)
    json.dumps(r)


# ----------------------------------------------------------------------------- the CLI
def cli(*args) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "generators", *args], env=ENV, cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-800:]
    return r


def test_the_cli_trains_samples_and_evaluates_points_and_numbers(tmp_path, values_npy):
    run2, run1 = tmp_path / "g2", tmp_path / "g1"
    cli("train", "gaussian", "--dataset", "8gaussians", "--components", "8", "--steps", "200", "--out", str(run2))
    assert json.loads(run2.with_suffix(".json").read_text())["dataset"] == "8gaussians"
    cli("sample", "gaussian", "--checkpoint", str(run2), "--n", "9", "--out", str(tmp_path / "pts.npy"))
    pts = np.load(tmp_path / "pts.npy")
    assert pts.shape == (9, 2) and pts.dtype == np.float32
    r = json.loads(cli("eval", "gaussian", "--n", "500").stdout)              # the shipped checkpoint
    assert r["modes_covered"] == 8 and r["heldout_nll"] < -2.85 and r["dataset"] == "8gaussians"
    cli("train", "gaussian", "--dataset", str(values_npy), "--steps", "300", "--out", str(run1))
    cli("sample", "gaussian", "--checkpoint", str(run1), "--n", "11", "--out", str(tmp_path / "v.npy"))
    v = np.load(tmp_path / "v.npy")
    assert v.shape == (11,) and v.dtype == np.float32
    r = json.loads(cli("eval", "gaussian", "--checkpoint", str(run1), "--n", "200").stdout)
    assert {"heldout_nll", "mean", "std", "n_samples"} <= set(r) and abs(r["mean"] - 3.0) < 0.15


# ----------------------------------------------------------------------------- the tab
GOOD = dict(data="normal", numbers="", seed=0, n=500)


def test_tab_handlers_fit_step_reset_and_discriminate():
    state, fig, text = U.fit(**GOOD, lr=0.1, steps=20)
    assert state[1].step == 20 and "step 20" in text and len(fig.axes) == 3
    state, _, text = U.step_once(state, **GOOD, lr=0.1)
    assert state[1].step == 21 and "step 21" in text
    state, _, _ = U.run_50(state, **GOOD, lr=0.1)
    assert state[1].step == 71
    moved, _, _ = U.step_once(state, **{**GOOD, "seed": 1}, lr=0.1)          # other numbers: from the first guess
    assert moved[1].step == 1
    state0, _, text0, steps = U.reset(**GOOD)
    assert state0[1].step == 0 and steps == 0 and "step 0" in text0
    mine, _, text = U.fit(U.MINE, "1, 2 3;4 5", 0, 500, 0.1, 300)
    assert abs(mine[1].mu - 3.0) < 1e-3 and abs(mine[1].sigma - math.sqrt(2.0)) < 1e-3
    bad_text, bad_fig = U.discriminate(state0, **GOOD)
    best, _, _ = U.fit(**GOOD, lr=0.1, steps=300)
    good_text, _ = U.discriminate(best, **GOOD)
    assert "%" in bad_text and len(bad_fig.axes) == 2 and good_text != bad_text


def test_the_discriminator_is_fooled_more_by_the_closed_form_than_a_bad_fit():
    for name in G.DEMO_SETS:
        x = G.demo_data(name, 500, 0)
        start, best = G.start_fit(x), G.closed_form_fit(x)
        bad, good = G.discriminate(x, start.mu, start.sigma, seed=0), G.discriminate(x, *best, seed=0)
        assert good.accuracy < bad.accuracy and good.loss > bad.loss, name
        assert bad.accuracy > 0.7 and good.accuracy < 0.6 and good.loss > 0.68
        assert G.discriminate(x, *best, seed=0) == good                       # deterministic from the seed


HOSTILE = [("seed", float("nan")), ("seed", 1e308), ("seed", "abc"), ("seed", None), ("seed", -1), ("n", 1e308),
           ("n", "abc"), ("n", None), ("n", 1), ("data", None), ("data", "../etc"), ("data", 3),
           ("numbers", "1," * 10**6), ("numbers", 5)]


@pytest.mark.parametrize("key,value", HOSTILE)
def test_tab_handlers_refuse_hostile_values(key, value):
    kw = {**GOOD, key: value}
    for call in (lambda: U.fit(**kw, lr=0.1, steps=5), lambda: U.step_once(None, **kw, lr=0.1),
                 lambda: U.run_50(None, **kw, lr=0.1), lambda: U.reset(**kw), lambda: U.discriminate(None, **kw)):
        with pytest.raises(gr.Error):
            call()


@pytest.mark.parametrize("lr,steps", [(float("nan"), 5), (1e308, 5), ("abc", 5), (None, 5), (0.1, 1e308), (0.1, -1),
                                      (0.1, "abc"), (0.1, None), (0.1, 2.5)])
def test_fit_refuses_hostile_rates_and_steps(lr, steps):
    with pytest.raises(gr.Error):
        U.fit(**GOOD, lr=lr, steps=steps)


@pytest.mark.parametrize("text", ["", "1", "1 2 abc", "1 nan", "1 inf", "1 1e308", "1," * 6000])
def test_my_numbers_must_be_2_to_5000_finite_numbers(text):
    with pytest.raises(gr.Error):
        U.fit(U.MINE, text, 0, 500, 0.1, 5)


def test_the_tab_builds_with_its_ids_names_and_link():
    from ui import share

    with gr.Blocks() as demo:
        loads = U.build()
    ids = [b.elem_id for b in demo.blocks.values() if getattr(b, "elem_id", None)]
    assert ids and all(i.startswith("gaussian_") for i in ids), ids
    names = {f.api_name for f in demo.fns.values()}
    assert {"gaussian_fit", "gaussian_step", "gaussian_discriminate", "gaussian_reset"} <= names
    fn, inputs, outputs = loads[0]
    assert fn is U.fit and len(inputs) == 6 and len(outputs) == 3
    tab, values, notes = share.apply_query({"tab": "gaussian", "data": "bimodal", "steps": "40", "lr": "9"},
                                           share.PARAMS)
    assert tab == "gaussian" and values == {"data": "bimodal", "steps": 40} and len(notes) == 1


def test_train_tab_hooks(values_npy):
    from matplotlib.figure import Figure

    m2 = fitted("8gaussians")
    ax = Figure().add_subplot()
    U.train_overlay(ax, m2, m2.sample(10, generator=make_generator(0)), 3.0)
    assert len(ax.patches) == 2 * m2.config.components                       # a 1σ and a 2σ ellipse each
    m1 = generators.build("gaussian", str(values_npy), seed=0, components=2)
    data = load_dataset(str(values_npy), "train")
    run = SimpleNamespace(model=m1, dataset=data, samples=m1.sample(16, generator=make_generator(0)), real=None)
    fig = U.train_figure(run)
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 3
    assert U.train_figure(SimpleNamespace(model=m2, dataset=load_toy("8gaussians"), samples=None, real=None)) is None


def test_compare_puts_the_mixture_beside_the_2d_gan_and_diffusion():
    """The Compare table's 2D rows: the shipped mixture with its mode coverage and held-out NLL per point, beside
    the GAN and diffusion models of the same set (which give no likelihood)."""
    from ui import compare

    rows = compare.metric_table(50).set_index("model")
    points = list(compare.ROWS["points"])
    assert points[-3:] == ["gan-8gaussians", "diffusion-8gaussians", "gaussian-8gaussians"]
    mix = rows.loc["gaussian-8gaussians"]
    assert mix["modes covered"] == "8/8" and -3.5 < float(mix["NLL/point ↓"]) < -2.5
    assert rows.loc["gan-8gaussians"]["NLL/point ↓"] == "" and rows.loc["gan-8gaussians"]["modes covered"]
