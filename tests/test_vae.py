"""The VAE family (tiny configs), its tab's handlers (shipped checkpoints) and the tab in Chromium."""
from __future__ import annotations

import math

import gradio as gr
import numpy as np
import pytest
import torch

import generators
from generators.base import make_generator
from generators.data import load_mnist
from generators.train import TrainState, train_step
from generators.vae import VAEConfig


def tiny(**kw):
    return generators.build("vae", "mnist", latent_dim=4, width=4, hidden=16, seed=0, **kw).eval()


def test_encode_decode_shapes_and_range():
    m = tiny()
    x = load_mnist("heldout").x[:5]
    z = m.encode(x)
    assert z.shape == (5, 4)
    y = m.decode(z)
    assert y.shape == (5, 1, 28, 28) and float(y.min()) >= 0 and float(y.max()) <= 1
    assert torch.equal(m.reconstruct(x), m.decode(z))             # decode(encode(x)) is the reconstruction
    mu, logvar = m.posterior(x)
    assert torch.equal(mu, z) and logvar.shape == (5, 4)


def test_input_validation():
    m = tiny()
    with pytest.raises(ValueError, match="N×1×28×28"):
        m.encode(torch.zeros(2, 28, 28))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        m.encode(torch.full((1, 1, 28, 28), 2.0))
    with pytest.raises(ValueError, match="finite"):
        m.decode(torch.full((1, 4), float("nan")))
    for kw in ({"likelihood": "poisson"}, {"beta": -1.0}, {"latent_dim": 0}, {"beta": float("nan")}):
        with pytest.raises(ValueError):
            VAEConfig(**kw)


@pytest.mark.parametrize("size,levels", [(28, 2), (32, 3), (64, 4)])
def test_colour_vae_encodes_and_decodes_its_image_shape(size, levels):
    """channels and image_size from the config: stride-2 levels down to below 8×8 (28 → 7, 32 → 4, 64 → 4)."""
    m = generators.build("vae", "emoji", latent_dim=4, width=4, hidden=16, image_size=size, seed=0).eval()
    assert m.image_shape == (3, size, size) and m.num_classes == 9
    assert sum(isinstance(l, torch.nn.Conv2d) for l in m.encoder.conv) == levels
    x = torch.rand(2, 3, size, size, generator=make_generator(0))
    y = m.reconstruct(x, labels=[0, 8])
    assert y.shape == (2, 3, size, size) and float(y.min()) >= 0 and float(y.max()) <= 1
    assert not torch.equal(m.decode(torch.zeros(1, 4), labels=0), m.decode(torch.zeros(1, 4), labels=5))
    with pytest.raises(ValueError, match=f"N×3×{size}×{size}"):
        m.encode(torch.zeros(2, 1, 28, 28), labels=[0, 1])                # a digit is not an emoji
    for bad in (30, 36, 4):
        with pytest.raises(ValueError):
            VAEConfig(channels=3, image_size=bad)


def test_emoji_vae_config_and_its_held_out_measures():
    """config_for("emoji"): 3×32×32, conditional on the 9 groups; the held-out ELBO is measured on held-out emoji
    and the reconstructions read by the emoji feature network."""
    from generators.data import load_dataset

    c = generators.REGISTRY["vae"].config_for("emoji")
    assert (c.channels, c.image_size, c.num_classes, c.likelihood) == (3, 32, 9, "bernoulli")
    m = generators.build("vae", "emoji", latent_dim=4, width=4, hidden=16, seed=0).eval()
    r = m.extra_metrics()
    assert r["n_heldout"] == len(load_dataset("emoji", "heldout")) and math.isfinite(r["elbo_nats"])
    assert 0 <= r["reconstruction_accuracy"] <= 1 and r["elbo_nats"] < 0


def test_sampling_deterministic_and_stochastic_resample():
    m = tiny()
    a = m.sample(3, generator=make_generator(1))
    assert torch.equal(a, m.sample(3, generator=make_generator(1)))
    assert not torch.equal(a, m.sample(3, generator=make_generator(2)))
    x = load_mnist("heldout").x[:2]
    r1 = m.reconstruct(x, generator=make_generator(0))
    assert torch.equal(r1, m.reconstruct(x, generator=make_generator(0)))
    assert not torch.equal(r1, m.reconstruct(x))                   # ε matters


def test_conditional_vae_uses_labels():
    m = tiny(num_classes=10)
    z = torch.zeros(1, 4)
    assert not torch.equal(m.decode(z, labels=1), m.decode(z, labels=7))
    with pytest.raises(ValueError):
        m.decode(z)                                                # needs a label


def test_elbo_finite_and_rises_on_a_toy_batch():
    m = tiny()
    state = TrainState(m, m.configure_optimizers(3e-3))
    batch = (load_mnist("train").x[:32],)
    g = make_generator(0)
    first = train_step(m, batch, state, generator=g)
    for _ in range(25):
        last = train_step(m, batch, state, generator=g)
    assert all(math.isfinite(v) for v in last.values())
    assert last["elbo"] > first["elbo"] and last["loss"] < first["loss"]


def test_save_load_round_trip(tmp_path):
    m = tiny(beta=4.0, likelihood="gaussian")
    generators.save_checkpoint(m, tmp_path / "v", dataset="mnist")
    m2 = generators.load(tmp_path / "v", device="cpu")
    assert m2.config == m.config
    x = load_mnist("heldout").x[:3]
    assert torch.equal(m.encode(x), m2.encode(x))


def test_shipped_vae_quality():
    """vae-mnist: held-out reconstructions read as the right digit ≥ 92%; prior samples cover all ten digits."""
    from generators.metrics import load_classifier

    m = generators.load("vae-mnist", device="cpu")
    r = m.extra_metrics()
    assert r["reconstruction_accuracy"] >= 0.92 and math.isfinite(r["elbo_nats"]) and r["elbo_nats"] < 0
    _, p = load_classifier().embed(m.sample(1000, generator=make_generator(0)))
    assert (torch.bincount(p.argmax(1), minlength=10) >= 10).all()
    assert generators.load("vae-mnist-2d").config.latent_dim == 2


def test_fitted_prior_is_used_checked_and_tied_to_its_weights(tmp_path):
    """fit_prior: a mixture over the encoded digits, stored in the checkpoint's JSON by `export`; sampling
    draws from it by default (deterministically per seed), "normal" keeps N(0, I); a stored mixture that is
    damaged or was fitted to other weights is ignored, never trusted."""
    import copy
    import json

    from generators.export import store_derived

    m = tiny()
    generators.save_checkpoint(m, tmp_path / "v", dataset="mnist")
    assert store_derived(tmp_path / "v.safetensors") is not None
    m2 = generators.load(tmp_path / "v", device="cpu")
    w, means, tril, owner = m2.fitted_prior()
    assert w.shape == (20,) and means.shape == (20, 4) and torch.equal(tril, tril.tril()) and owner is None
    assert abs(float(w.sum()) - 1) < 1e-5
    g = lambda: make_generator(3)                                   # noqa: E731
    fitted, again = m2.sample(64, generator=g()), m2.sample(64, generator=g())
    normal = m2.sample(64, generator=g(), prior="normal")
    assert torch.equal(fitted, again) and not torch.equal(fitted, normal)
    assert torch.equal(normal, m.sample(64, generator=g()))           # no stored mixture: N(0, I)
    with pytest.raises(ValueError, match="prior"):
        m2.sample(2, generator=g(), prior="uniform")
    trained_on = copy.deepcopy(m2)                                    # weights changed after the fit (training)
    with torch.no_grad():
        next(trained_on.decoder.parameters()).add_(0.01)
    assert trained_on.fitted_prior() is None
    good = m2.meta["prior"]
    bad_ones = [dict(good, fingerprint="0" * 64), dict(good, weights=[float("nan")] * 20),
                dict(good, weights=[1.0] + [0.0] * 18 + [1.0]), dict(good, means=good["means"][:3]),
                dict(good, scale_tril=[[[1.0] * 4] * 4] * 20), "mixture", None]
    for bad in bad_ones:
        m2.meta = {**m2.meta, "prior": copy.deepcopy(bad)}
        assert m2.fitted_prior() is None and torch.equal(m2.sample(64, generator=g()), normal)
    json.dumps(good)                                                  # JSON numbers only


def test_a_conditional_vae_draws_each_class_from_that_class_mixture(tmp_path):
    """A conditional VAE's prior is a mixture per class: a sample of class c takes z from c's components only
    (at temperature 0, z is one of their means exactly); a "classes" field that does not cover every class
    once or more, or names one the model lacks, makes the whole mixture ignored."""
    import copy

    from generators.export import store_derived

    m = tiny(num_classes=3)
    generators.save_checkpoint(m, tmp_path / "c", dataset="mnist")
    assert store_derived(tmp_path / "c.safetensors") is not None
    m2 = generators.load(tmp_path / "c", device="cpu")
    w, means, tril, owner = m2.fitted_prior()
    assert owner.tolist() == [0] * 4 + [1] * 4 + [2] * 4 and means.shape == (12, 4)
    for c in range(3):
        x = m2.sample(6, generator=make_generator(c), labels=[c] * 6, temperature=0.0)
        own = m2.decode(means[owner == c], labels=[c] * 4)
        dist = (x[:, None] - own[None]).flatten(2).abs().amax(2)           # each sample against each component
        assert bool((dist.amin(1) < 1e-6).all()), c
    mixed = m2.sample(30, generator=make_generator(9))                    # no labels: random classes, seeded
    assert torch.equal(mixed, m2.sample(30, generator=make_generator(9)))
    good = m2.meta["prior"]
    for classes in ([0] * 12, [0, 1, 2, 3] * 3, good["classes"][:-1], ["a"] * 12, [[0]] * 12, [0.5] * 12, "012"):
        m2.meta = {**m2.meta, "prior": dict(copy.deepcopy(good), classes=classes)}
        assert m2.fitted_prior() is None, classes
    no_weight = dict(copy.deepcopy(good), weights=[0.0] * 4 + [0.125] * 8)    # class 0 has no weight: ignored
    m2.meta = {**m2.meta, "prior": no_weight}
    assert m2.fitted_prior() is None


def test_shipped_vae_emoji_reconstructs_held_out_emoji():
    """vae-emoji (float16 weights, prior fitted to its encoded training emoji): held-out reconstructions read as
    their group ≥ 80% as often as the held-out emoji themselves (71.8%); its prior samples are colour emoji."""
    m = generators.load("vae-emoji", device="cpu")
    assert m.image_shape == (3, 32, 32) and m.fitted_prior() is not None
    r = m.extra_metrics()
    assert r["reconstruction_accuracy"] >= 0.8 * 0.718 and r["n_heldout"] == 188
    x = m.sample(4, generator=make_generator(0), labels=[0, 2, 4, 8])
    assert x.shape == (4, 3, 32, 32) and (x[:, 0] - x[:, 2]).abs().max() > 0.2      # not grey


def test_shipped_vae_emoji_samples_read_as_their_group_from_the_class_mixtures():
    """vae-emoji's prior has components per group: its samples of group c are read as c far more often than
    N(0, I) draws decoded with c (which land where other groups were encoded)."""
    from generators.metrics import load_classifier

    m = generators.load("vae-emoji", device="cpu")
    assert m.fitted_prior()[3] is not None
    y = torch.arange(270) % 9
    acc = {prior: (load_classifier("emoji-features").embed(m.sample(270, generator=make_generator(0), labels=y,
                                                                   prior=prior))[1].argmax(1) == y).float().mean()
           for prior in ("fitted", "normal")}
    assert acc["fitted"] > acc["normal"] + 0.1, acc


def test_shipped_vae_fitted_prior_samples_read_as_digits_more_often():
    """The shipped vae-mnist carries a fitted prior: its samples are read by the digit classifier with more
    confidence than N(0, I)'s, whose draws between the encoded digits decode to blurs."""
    from generators.metrics import load_classifier

    m = generators.load("vae-mnist", device="cpu")
    assert m.fitted_prior() is not None
    conf = {prior: load_classifier().embed(m.sample(500, generator=make_generator(0), prior=prior))[1]
            .max(1).values.mean().item() for prior in ("fitted", "normal")}
    assert conf["fitted"] > conf["normal"] + 0.02


# ----------------------------------------------------------------------------- handlers
from ui import vae as tab  # noqa: E402


def zeros():
    return [0.0] * tab._model().config.latent_dim


def test_render_changes_with_slider():
    a = tab.render(*zeros())
    assert a.shape == (224, 224) and a.dtype == np.uint8
    z = zeros()
    z[0] = 2.5
    assert not np.array_equal(a, tab.render(*z))
    assert np.array_equal(a, tab.render(*zeros()))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e308, -10.0, "x" * 100_000, None, [1]])
def test_render_rejects_bad_values(bad):
    z = zeros()
    z[3] = bad
    with pytest.raises(gr.Error):
        tab.render(*z)
    with pytest.raises(gr.Error):
        tab.render(0.0)                                            # wrong count


def test_random_latent_and_grid():
    z = tab.random_latent(5)
    assert len(z) == len(zeros()) and z == tab.random_latent(5) and z != tab.random_latent(6)
    assert all(-tab.SLIDER <= v <= tab.SLIDER for v in z)
    assert tab.grid(0, 9, 1.0).ndim == 2
    assert not np.array_equal(tab.grid(0, 9, 1.0), tab.grid(0, 9, 1.0, "normal"))
    with pytest.raises(gr.Error):
        tab.grid(0, 10**6, 1.0)
    with pytest.raises(gr.Error):
        tab.grid(0, 9, 1.0, "uniform")


def test_map_and_click_decode():
    base = tab.latent_map()
    assert base.shape == (tab.MAP_PX, tab.MAP_PX, 3)
    digit, marked, text = tab.decode_point(1.0, -0.5)
    assert digit.shape == (168, 168) and not np.array_equal(marked, base) and "1.00" in text
    assert not np.array_equal(digit, tab.decode_point(-2.0, 2.0)[0])
    evt = gr.SelectData(None, {"index": [240, 240], "value": None})
    d2, _, t2 = tab.map_click(evt)
    assert "z = (0.00, 0.00)" in t2
    with pytest.raises(gr.Error):
        tab.decode_point(float("nan"), 0)
    assert tab.manifold().shape[0] == tab.manifold().shape[1]


def _stroke_canvas(digit: int = 1) -> dict:
    """A white RGBA canvas with a drawn '1' (a vertical bar) or '0' (a ring) in black."""
    a = np.zeros((300, 300, 4), np.uint8)
    if digit == 1:
        a[60:240, 140:160] = (0, 0, 0, 255)
    else:
        yy, xx = np.mgrid[:300, :300]
        r = np.hypot(yy - 150, (xx - 150) * 1.4)
        a[(r > 70) & (r < 95)] = (0, 0, 0, 255)
    return {"background": None, "layers": [a], "composite": a}


def test_drawing_is_encoded_and_lands_on_the_map():
    pair, text, marked = tab.encode_drawing(_stroke_canvas(1))
    assert pair.shape == (180, 354) and "On the 2D map" in text
    digit = tab.sketch_to_digit(_stroke_canvas(1))[0, 0]
    assert digit.shape == (28, 28) and 0.02 < float(digit.mean()) < 0.5
    # a drawn 1 and a drawn 0 are encoded to different places
    assert tab._model().encode(tab.sketch_to_digit(_stroke_canvas(0))).sub(
        tab._model().encode(tab.sketch_to_digit(_stroke_canvas(1)))).abs().sum() > 0.5
    assert tab.resample(_stroke_canvas(0)).shape == (180, 354)


@pytest.mark.parametrize("empty", [None, {"background": None, "layers": [], "composite": None},
                                   {"background": None, "layers": [], "composite": np.zeros((300, 300, 4), np.uint8)}])
def test_empty_canvas_gets_a_friendly_message(empty):
    with pytest.raises(gr.Error, match="Draw a digit|empty"):
        tab.encode_drawing(empty)


def test_interpolate_examples_and_drawings():
    strip, gif = tab.interpolate("held-out example", "1", None, "held-out example", "7", None, 8)
    assert strip.shape[1] > strip.shape[0] * 4 and gif.endswith(".gif")
    strip2, _ = tab.interpolate("my drawing", "1", _stroke_canvas(0), "held-out example", "7", None, 4)
    assert strip2.shape[1] < strip.shape[1]
    with pytest.raises(gr.Error):
        tab.interpolate("my drawing", "1", None, "held-out example", "7", None, 4)
    with pytest.raises(gr.Error):
        tab.interpolate("held-out example", "12", None, "held-out example", "7", None, 4)


def test_vae_tab_slider_changes_image(page):
    from conftest import drag_slider_and_wait_for_new_image, open_tab

    open_tab(page, "VAE")
    new = drag_slider_and_wait_for_new_image(page, "vz0", "2", "vae_img")
    assert new
    page.screenshot(path=str(page.screenshot_dir / "vae_tab.png"), full_page=True)
    assert not page.errors


def test_vae_prior_switch_redraws_the_sample_grid(page):
    """Sample grid: Sample draws from the fitted prior; switching Prior to N(0, I) redraws it from the other."""
    from conftest import image_src, open_tab

    open_tab(page, "VAE")
    page.locator("text=Sample grid >> visible=true").first.click()     # the GAN tab has one too, hidden
    page.locator("#vae_grid_btn").click()
    page.wait_for_function("() => document.querySelector('#vae_grid img')?.src")
    fitted = image_src(page, "vae_grid")
    page.locator("#vae_prior").get_by_text("N(0, I)").click()
    page.wait_for_function("(s) => document.querySelector('#vae_grid img')?.src !== s", arg=fitted)
    assert not page.errors
