"""The GAN family (tiny configs), its tab's handlers (shipped checkpoints) and the tab in Chromium."""
from __future__ import annotations

import math

import gradio as gr
import numpy as np
import pytest
import torch

import generators
from generators.base import make_generator
from generators.data import load_mnist, load_toy
from generators.gan import GANConfig
from generators.train import TrainState, train, train_step


def tiny(loss="bce", **kw):
    return generators.build("gan", "mnist", latent_dim=8, ngf=8, ndf=8, loss=loss, **kw)


@pytest.mark.parametrize("size", [28, 32, 64])
def test_dcgan_shapes(size):
    m = generators.build("gan", "mnist", image_size=size, latent_dim=8, ngf=8, ndf=8).eval()
    x = m.sample(3, generator=make_generator(0), labels=[0, 1, 2])
    assert x.shape == (3, 1, size, size) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert m.discriminate(x, torch.tensor([0, 1, 2])).shape == (3,)


def test_pytorch_examples_dcgan_settings_expressible():
    """pytorch/examples dcgan: 64×64, nz 100, ngf = ndf = 64, 3 channels, unconditional."""
    c = GANConfig(image_size=64, channels=3, latent_dim=100, ngf=64, ndf=64, num_classes=0)
    m = generators.REGISTRY["gan"](c)
    convs = [l for l in m.G.net if isinstance(l, torch.nn.ConvTranspose2d)]
    assert [(l.in_channels, l.out_channels) for l in convs] == [(100, 512), (512, 256), (256, 128), (128, 64), (64, 3)]
    assert m.G.net(torch.zeros(2, 100, 1, 1)).shape == (2, 3, 64, 64)


def test_emoji_config_is_a_conditional_colour_dcgan():
    """config_for("emoji"): 3×32×32 (base 4, three doublings), the 9 groups, the auxiliary class head."""
    c = generators.REGISTRY["gan"].config_for("emoji")
    assert (c.channels, c.image_size, c.num_classes, c.arch) == (3, 32, 9, "dcgan") and c.aux_weight > 0
    m = generators.build("gan", "emoji", latent_dim=8, ngf=8, ndf=8, seed=0).eval()
    x = m.sample(3, generator=make_generator(0), labels=[0, 4, 8])
    assert x.shape == (3, 3, 32, 32) and m.image_shape == (3, 32, 32)
    logit, classes = m.D(x * 2 - 1, torch.tensor([0, 4, 8]))
    assert logit.shape == (3,) and classes.shape == (3, 9)
    assert generators.REGISTRY["gan"].config_for("mnist").channels == 1


def test_bad_config_values():
    for kw in ({"image_size": 30}, {"loss": "l2"}, {"latent_dim": 0}, {"latent_dim": 10**7}, {"arch": "vit"}):
        with pytest.raises(ValueError):
            GANConfig(**kw)


def test_same_seed_same_output_and_labels_matter():
    m = tiny().eval()
    a = m.sample(4, generator=make_generator(3), labels=5)
    b = m.sample(4, generator=make_generator(3), labels=5)
    c = m.sample(4, generator=make_generator(3), labels=6)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_truncation_zero_collapses_to_mean():
    m = tiny().eval()
    a = m.sample(3, generator=make_generator(1), labels=2, truncation=0.0)
    assert torch.allclose(a[0], a[1]) and torch.allclose(a[1], a[2])
    with pytest.raises(ValueError):
        m.sample(1, generator=make_generator(1), truncation=float("nan"))


def test_checkpoint_default_truncation_applies_when_none_is_given():
    m = tiny(default_truncation=0.0).eval()
    a = m.sample(3, generator=make_generator(1), labels=2)                    # ψ = 0: every latent is the mean
    assert torch.allclose(a[0], a[1]) and torch.allclose(a[1], a[2])
    b = m.sample(3, generator=make_generator(1), labels=2, truncation=1.0)    # an explicit ψ wins
    assert not torch.allclose(b[0], b[1])
    with pytest.raises(ValueError, match="default_truncation"):
        GANConfig(default_truncation=float("nan"))


def test_label_and_latent_validation():
    m = tiny().eval()
    for bad in (10, -1, [1, 2]):
        with pytest.raises(ValueError):
            m.sample(3, generator=make_generator(0), labels=bad)
    with pytest.raises(ValueError, match="shape"):
        m.sample(2, generator=make_generator(0), latents=torch.zeros(3, 8))
    with pytest.raises(ValueError, match="finite"):
        m.sample(1, generator=make_generator(0), latents=torch.full((1, 8), float("inf")))


def test_batch_equals_single():
    from test_seeds import FLOAT64_BOUND                 # in float64: the bound comes from the arithmetic, not the CPU

    m = tiny().eval().to(torch.float64)
    z = m.draw_latents(4, make_generator(0)).double()
    batch = m.sample(4, generator=make_generator(0), latents=z, labels=[1, 2, 3, 4])
    single = torch.cat([m.sample(1, generator=make_generator(0), latents=z[i:i + 1], labels=i + 1) for i in range(4)])
    assert batch.dtype == torch.float64 and (batch - single).abs().max() < FLOAT64_BOUND


@pytest.mark.parametrize("loss", ["bce", "hinge", "wgan-gp"])
def test_each_loss_trains_with_finite_losses(loss):
    m = tiny(loss, n_critic=2 if loss == "wgan-gp" else 1)
    before = {k: v.clone() for k, v in m.G.state_dict().items()}
    events = list(train(m, load_mnist("train"), steps=3, batch_size=8, sample_every=3, n_samples=4))
    steps = [e for e in events if e["event"] == "step"]
    assert [e["event"] for e in events][0] == "start" and events[-1]["event"] == "done"
    assert len(steps) == 3 and all(math.isfinite(v) for e in steps for v in e["losses"].values())
    assert any(not torch.equal(before[k], v) for k, v in m.G.state_dict().items())
    samples = [e for e in events if e["event"] == "samples"][0]["samples"]
    assert samples.shape == (4, 1, 28, 28)


def test_mnist_default_has_an_auxiliary_class_head_that_learns_real_digits_classes():
    """The from-scratch MNIST GAN: D gets no label planes (a class head could only read them back) and its class
    head's cross-entropy on real digits (reported as d_class) falls from chance within a few real steps."""
    m = tiny()
    assert m.config.aux_weight > 0 and not m.config.label_planes and m.D.classes is not None
    assert m.D.features[0].in_channels == 1                       # the image alone
    d = load_mnist("train")
    state = TrainState(m, m.configure_optimizers(2e-3))
    g = make_generator(0)
    batch = (d.x[:64], d.y[:64])
    first = train_step(m, batch, state, generator=g)
    for _ in range(40):
        last = train_step(m, batch, state, generator=g)
    assert abs(first["d_class"] - math.log(10)) < 0.5 and last["d_class"] < 0.5 * first["d_class"]
    # unconditional, or D told to read the planes: no class head
    assert tiny(num_classes=0).D.classes is None and tiny(label_planes=True).D.classes is None
    with pytest.raises(ValueError, match="label_planes"):
        GANConfig(aux_weight=1.0, label_planes=True)


def test_2d_gan_discriminator_learns_real_from_noise():
    """On a toy batch the discriminator's loss falls: it separates the 8 modes from the untrained G."""
    m = generators.build("gan", "8gaussians", hidden=32, layers=2)
    ds = load_toy("8gaussians")
    state = TrainState(m, m.configure_optimizers(1e-3))
    g = make_generator(0)
    batch = (ds.x[:128],)
    first = train_step(m, batch, state, generator=g)["d_loss"]
    for _ in range(60):
        last = train_step(m, batch, state, generator=g)["d_loss"]
    assert last < first


def test_principal_directions_are_unit_and_ordered():
    m = tiny().eval()
    u, var = m.principal_directions(4, n=512)
    assert u.shape == (4, 8) and torch.allclose(u.norm(dim=1), torch.ones(4), atol=1e-5)
    assert (var[:-1] >= var[1:]).all() and float(var.sum()) <= 1.0 + 1e-6
    assert m.principal_directions(4, n=512)[0] is u          # cached


def test_stored_directions_are_used_only_for_the_weights_they_were_computed_from(tmp_path):
    import json

    from generators.export import store_derived

    m = tiny().eval()
    generators.save_checkpoint(m, tmp_path / "g", dataset="mnist")
    cpath = store_derived(tmp_path / "g.safetensors")
    stored = json.loads(cpath.read_text())["principal_directions"]
    loaded = generators.load(tmp_path / "g.safetensors")
    assert loaded._stored_directions(8, 1024, 0) is not None            # read, not recomputed
    u, var = loaded.principal_directions()
    want_u, want_var = m.principal_directions()
    assert torch.equal(u, want_u) and torch.equal(var, want_var)
    # anything that does not fit these weights and shapes is ignored (computed instead), never trusted
    bad = {"fingerprint": "0" * 64, "u": [[0.0] * 8] * 7, "var": [float("nan")] * 8, "k": 4, "comment": "x"}
    for key, value in bad.items():
        other = generators.load(tmp_path / "g.safetensors")
        other.meta = {**other.meta, "principal_directions": {**stored, key: value}}
        assert (other._stored_directions(8, 1024, 0) is None) == (key != "comment"), key
        assert torch.allclose(other.principal_directions()[0], want_u, atol=1e-5)
    with torch.no_grad():                                                 # trained further: new weights
        loaded.G.net[0].weight.add_(0.01)
    loaded._directions.clear()
    assert loaded._stored_directions(8, 1024, 0) is None


def test_shipped_gan_directions_are_current():
    """The GANSpace directions in checkpoints/gan-mnist.json (read at start-up instead of a 0.5 s
    eigendecomposition) are those of its weights: re-run `python -m generators export gan-mnist` if this fails."""
    m = generators.load("gan-mnist", device="cpu")
    stored = m._stored_directions(8, 1024, 0)
    assert stored is not None
    u, var = m._pca(8, 1024, 0)
    # stored on one CPU, recomputed on this one: float32 sums over 1,024 samples carry ≤ 1024·u ≈ 6e-5 relative
    # error, ≤ 3.3e-6 on the largest variance (0.054), so 1e-5 holds on any CPU; stale weights move it by far more
    assert torch.allclose(stored[1], var, atol=1e-5)
    assert bool(((stored[0] * u).sum(1).abs() > 0.999).all())          # the same axes (eigh may flip a sign)


# ----------------------------------------------------------------------------- shipped checkpoints
def test_shipped_gan_mnist_conditional_quality():
    """≥ 95% of conditional samples are read as the asked digit by the held-out-validated classifier."""
    from generators.metrics import load_classifier

    m = generators.load("gan-mnist", device="cpu")
    y = torch.arange(500) % 10
    x = m.sample(500, generator=make_generator(0), labels=y)
    _, p = load_classifier().embed(x)
    assert (p.argmax(1) == y).float().mean() >= 0.95


def test_shipped_gan_emoji_draws_its_groups_in_colour(tmp_path):
    """gan-emoji (float16 weights): conditional samples read as their emoji group by emoji-features at ≥ 80% of
    the rate it reads held-out emoji (71.8%); the CLI's colour contract on it (RGB grid, --label)."""
    from PIL import Image

    from generators.__main__ import main
    from generators.base import read_safetensors
    from generators.metrics import load_classifier

    m = generators.load("gan-emoji", device="cpu")
    assert m.image_shape == (3, 32, 32) and m.num_classes == 9 and m.meta["dataset"] == "emoji"
    assert {t.dtype for t in read_safetensors(m.checkpoint_path).values() if t.is_floating_point()} == {torch.float16}
    y = torch.arange(450) % 9
    clf = load_classifier("emoji-features")
    _, p = clf.embed(m.sample(450, generator=make_generator(0), labels=y))
    assert (p.argmax(1) == y).float().mean() >= 0.8 * 0.718
    out = tmp_path / "x.png"
    assert main(["sample", "gan", "--checkpoint", "gan-emoji", "--label", "2", "--n", "16", "--out", str(out)]) == 0
    with Image.open(out) as im:
        assert im.mode == "RGB" and im.size == (4 * 34 + 2, 4 * 34 + 2)


def test_shipped_gan_8gaussians_covers_modes():
    from generators.metrics import evaluate_points

    m = generators.load("gan-8gaussians", device="cpu")
    r = evaluate_points(m, n=2000, seed=0)
    assert r["modes_covered"] == 8 and r["high_quality"] >= 0.5


# ----------------------------------------------------------------------------- handlers
from ui import gan as tab  # noqa: E402

ZERO = [0.0] * (tab.N_PCA + tab.N_RAW)


def test_render_changes_with_slider_and_is_deterministic():
    a = tab.render(7, "3", 1.0, *ZERO)
    assert a.shape == (224, 224) and a.dtype == np.uint8
    assert np.array_equal(a, tab.render(7, "3", 1.0, *ZERO))
    moved = list(ZERO)
    moved[0] = 2.0
    assert not np.array_equal(a, tab.render(7, "3", 1.0, *moved))
    raw = list(ZERO)
    raw[tab.N_PCA] = -2.0
    assert not np.array_equal(a, tab.render(7, "3", 1.0, *raw))


@pytest.mark.parametrize("seed,label,trunc,slider", [
    (float("nan"), "3", 1.0, 0.0), (2**64, "3", 1.0, 0.0), (-1, "3", 1.0, 0.0), ("abc", "3", 1.0, 0.0),
    (1, "11", 1.0, 0.0), (1, "x", 1.0, 0.0), (1, "3", float("inf"), 0.0), (1, "3", 1e308, 0.0),
    (1, "3", 1.0, float("nan")), (1, "3", 1.0, 1e30), (1, "3", 1.0, "a" * 100_000), (1, "3", None, 0.0),
])
def test_render_rejects_bad_inputs(seed, label, trunc, slider):
    with pytest.raises(gr.Error):
        tab.render(seed, label, trunc, slider, *ZERO[1:])


def test_render_rejects_wrong_slider_count():
    with pytest.raises(gr.Error):
        tab.render(1, "3", 1.0, 0.0)


def test_grid_and_png():
    img = tab.grid(1, "any", 0.7, 16)
    assert img.ndim == 2 and img.shape[0] == img.shape[1]
    with pytest.raises(gr.Error):
        tab.grid(1, "any", 0.7, 10**6)
    path = tab.grid_png(1, "any", 0.7, 4)
    assert path.endswith(".png") and "seed1" in path


def test_interpolate_strip_and_gif():
    strip, gif = tab.interpolate(0, 1, "2", 6, 1.0)
    assert strip.shape[1] > strip.shape[0] * 4 and gif.endswith(".gif")
    from PIL import Image
    assert Image.open(gif).n_frames == 10                   # 6 there + 4 back
    with pytest.raises(gr.Error):
        tab.interpolate(0, 1, "2", 10**9, 1.0)


def test_scatter_2d():
    fig = tab.scatter_2d(0, 500)
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) == 2
    with pytest.raises(gr.Error):
        tab.scatter_2d(0, float("nan"))


# ----------------------------------------------------------------------------- the tab in a real browser
def test_gan_tab_slider_changes_image(page):
    from conftest import drag_slider_and_wait_for_new_image, open_tab

    open_tab(page, "GAN")
    before = page.evaluate("() => document.querySelector('#gan_img img')?.src ?? null")
    new = drag_slider_and_wait_for_new_image(page, "z0", "1.5", "gan_img")
    assert new and new != before
    page.screenshot(path=str(page.screenshot_dir / "gan_tab.png"), full_page=True)
    assert not page.errors
