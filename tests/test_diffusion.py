"""The diffusion family's engine (tiny configs): schedule, samplers, guidance, training, checkpoints."""
from __future__ import annotations

import math

import pytest
import torch

import generators
from generators.base import make_generator
from generators.data import load_mnist, load_toy
from generators.diffusion import DiffusionConfig, make_schedule
from generators.train import TrainState, train_step


def tiny(**kw):
    return generators.build("diffusion", "mnist", objective="eps", channels=8, timesteps=50, default_steps=5, seed=0,
                            **kw).eval()


@pytest.mark.parametrize("kind", ["cosine", "linear"])
def test_schedule_monotone_in_unit_interval(kind):
    ab = make_schedule(kind, 1000)
    assert ab.shape == (1000,) and bool((ab > 0).all()) and bool((ab < 1).all())
    assert bool((ab[1:] < ab[:-1]).all())
    assert float(ab[0]) > 0.99 and float(ab[-1]) < 0.01


def test_ddim_eta0_deterministic_and_shapes():
    m = tiny()
    a = m.sample(3, generator=make_generator(0), labels=[1, 2, 3], sampler="ddim", steps=5, eta=0.0)
    assert a.shape == (3, 1, 28, 28) and float(a.min()) >= 0 and float(a.max()) <= 1
    z = m.draw_latents(3, make_generator(7))
    b1 = m.sample(3, generator=make_generator(1), latents=z, labels=[1, 2, 3], steps=5, eta=0.0)
    b2 = m.sample(3, generator=make_generator(2), latents=z, labels=[1, 2, 3], steps=5, eta=0.0)
    assert torch.equal(b1, b2)                           # η = 0: only x_T matters
    c1 = m.sample(3, generator=make_generator(1), latents=z, labels=[1, 2, 3], steps=5, eta=1.0)
    c2 = m.sample(3, generator=make_generator(2), latents=z, labels=[1, 2, 3], steps=5, eta=1.0)
    assert not torch.equal(c1, c2)                       # η = 1 injects fresh noise


@pytest.mark.parametrize("size", [32, 64])
def test_colour_unet_draws_its_image_shape(size):
    """image_channels and image_size from the config (its `channels` is the UNet's width): levels S, S/2, S/4."""
    m = generators.build("diffusion", "emoji", channels=8, image_size=size, seed=0).eval()
    assert m.image_shape == m.latent_spec().shape == (3, size, size) and m.num_classes == 9
    x = m.sample(2, generator=make_generator(0), labels=[0, 8], steps=2)
    assert x.shape == (2, 3, size, size) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert m.q_sample(x, 500, generator=make_generator(1)).shape == x.shape
    with pytest.raises(ValueError, match="multiple of 4"):
        generators.build("diffusion", "emoji", channels=8, image_size=30)
    c = generators.REGISTRY["diffusion"].config_for("emoji")
    assert (c.image_channels, c.image_size, c.num_classes, c.objective) == (3, 32, 9, "flow")


def test_ddpm_full_and_strided():
    m = tiny()
    assert len(m.timesteps_for("ddpm", None)) == 50
    assert m.timesteps_for("ddim", 5) == [49, 37, 24, 12, 0]
    x = m.sample(2, generator=make_generator(0), labels=0, sampler="ddpm", steps=10)
    assert x.shape == (2, 1, 28, 28)


def test_bad_sampler_arguments_rejected():
    m = tiny()
    for kw in ({"steps": 51}, {"steps": 0}, {"steps": 10**9}, {"sampler": "euler"}, {"eta": 2.0},
               {"eta": float("nan")}, {"guidance": -1.0}, {"guidance": float("inf")}, {"labels": 10}):
        with pytest.raises(ValueError):
            m.sample(1, generator=make_generator(0), **kw)
    for kw in ({"timesteps": 1}, {"schedule": "sigmoid"}, {"arch": "dit"}, {"p_uncond": 1.5}):
        with pytest.raises(ValueError):
            DiffusionConfig(**kw)


def test_guidance_changes_samples():
    m = tiny()
    z = m.draw_latents(2, make_generator(3))
    a = m.sample(2, generator=make_generator(0), latents=z, labels=4, guidance=1.0)
    b = m.sample(2, generator=make_generator(0), latents=z, labels=4, guidance=3.0)
    assert not torch.equal(a, b)


def test_trajectory_and_gif_frames():
    m = tiny()
    steps = list(m.trajectory(2, generator=make_generator(0), frames=5, labels=1, steps=5))
    assert [s[0] for s in steps] == [1, 2, 3, 4, 5] and steps[-1][3].shape == (2, 1, 28, 28)
    samples, frames = m.sample_frames(2, generator=make_generator(0), labels=1, steps=5)
    assert len(frames) == 5 and frames[0].dtype.name == "uint8" and samples.shape == (2, 1, 28, 28)


def test_forward_process():
    m = tiny()
    x0 = load_mnist("heldout").x[:1]
    near = m.q_sample(x0, 0, generator=make_generator(0))
    far = m.q_sample(x0, 49, generator=make_generator(0))
    assert (near - x0).abs().mean() < (far - x0).abs().mean()
    with pytest.raises(ValueError):
        m.q_sample(x0, 50, generator=make_generator(0))


def test_unet_loss_falls_on_a_toy_batch():
    m = generators.build("diffusion", "mnist", channels=8, timesteps=50, seed=0)
    state = TrainState(m, m.configure_optimizers(2e-3))
    ds = load_mnist("train")
    batch = (ds.x[:16], ds.y[:16])
    g = make_generator(0)
    first = [train_step(m, batch, state, generator=g)["loss"] for _ in range(3)]
    for _ in range(40):
        train_step(m, batch, state, generator=g)
    last = [train_step(m, batch, state, generator=g)["loss"] for _ in range(3)]
    assert sum(last) < sum(first) and all(math.isfinite(v) for v in last)


def test_mlp_denoiser_on_points_and_round_trip(tmp_path):
    m = generators.build("diffusion", "8gaussians", hidden=16, timesteps=20, seed=0)
    state = TrainState(m, m.configure_optimizers())
    train_step(m, (load_toy("8gaussians").x[:64],), state, generator=make_generator(0))
    m.eval()
    pts = m.sample(5, generator=make_generator(0), steps=4)
    assert pts.shape == (5, 2)
    generators.save_checkpoint(m, tmp_path / "d", dataset="8gaussians")
    m2 = generators.load(tmp_path / "d", device="cpu")
    assert torch.equal(pts, m2.sample(5, generator=make_generator(0), steps=4))


# ----------------------------------------------------------------------------- shipped checkpoints
def test_shipped_diffusion_models_load_and_sample():
    m = generators.load("diffusion-mnist", device="cpu")
    x = m.sample(4, generator=make_generator(0), labels=[0, 1, 2, 3])
    assert x.shape == (4, 1, 28, 28)
    p = generators.load("diffusion-8gaussians", device="cpu").sample(10, generator=make_generator(0))
    assert p.shape == (10, 2)


def test_shipped_diffusion_emoji_and_the_cli_trains_on_emoji(tmp_path):
    """diffusion-emoji draws 3×32×32 emoji for a group; `train diffusion --dataset emoji` makes a colour model."""
    from generators.__main__ import main

    m = generators.load("diffusion-emoji", device="cpu")
    x = m.sample(2, generator=make_generator(0), labels=[0, 8])
    assert x.shape == (2, 3, 32, 32) and m.num_classes == 9
    run = tmp_path / "d"
    assert main(["train", "diffusion", "--dataset", "emoji", "--channels", "8", "--steps", "2", "--batch-size", "4",
                 "--device", "cpu", "--checkpoint-every", "0", "--out", str(run)]) == 0
    assert generators.load(run, device="cpu").image_shape == (3, 32, 32)


# ----------------------------------------------------------------------------- handlers
import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from ui import diffusion as tab  # noqa: E402


def test_render_changes_with_steps_and_guidance():
    a = tab.render(0, "3", "euler", 10, 0.0, 2.0, 1)
    assert a.shape == (224, 224) and np.array_equal(a, tab.render(0, "3", "euler", 10, 0.0, 2.0, 1))
    assert not np.array_equal(a, tab.render(0, "3", "euler", 5, 0.0, 2.0, 1))
    assert not np.array_equal(a, tab.render(0, "3", "euler", 10, 0.0, 4.0, 1))
    assert tab.render(0, "any", "heun", 20, 0.0, 1.0, 4).ndim == 2


@pytest.mark.parametrize("args", [
    (0, "3", "euler", 10**9, 0.0, 2.0, 1), (0, "3", "euler", 0, 0.0, 2.0, 1), (0, "3", "euler", float("nan"), 0.0, 2.0, 1),
    (0, "3", "ddim", 10, 0.0, 2.0, 1), (0, "3", "euler", 10, 5.0, 2.0, 1), (0, "3", "euler", 10, 0.0, 1e308, 1),
    (0, "3", "euler", 10, 0.0, 2.0, 10**6), (2**64, "3", "euler", 10, 0.0, 2.0, 1), (0, "13", "euler", 10, 0.0, 2.0, 1),
])
def test_render_rejects_bad_inputs(args):
    with pytest.raises(gr.Error):
        tab.render(*args)


def test_watch_streams_then_scrubs_and_exports():
    class NoProgress:
        def __call__(self, *a, **k):
            pass

    outs = list(tab.watch(0, "7", "euler", 10, 0.0, 2.0, 1, progress=NoProgress()))
    assert len(outs) == 10 and "step 10 / 10" in outs[-1][1]
    frames = outs[-1][2]
    assert len(frames) == 10 and not np.array_equal(frames[0], frames[-1])
    assert np.array_equal(tab.scrub(frames, 3), frames[2])
    assert tab.trajectory_gif(frames).endswith(".gif")
    with pytest.raises(gr.Error):
        tab.scrub([], 1)
    with pytest.raises(gr.Error):
        list(tab.watch(0, "7", "euler", 10**6, 0.0, 2.0, 1, progress=NoProgress()))


def test_forward_process_and_particles_and_compare():
    img, curve, text = tab.forward("5", 500, 0)
    assert img.shape[1] > img.shape[0] and curve.ndim == 3 and "t = 500" in text
    with pytest.raises(gr.Error):
        tab.forward("5", 1000, 0)
    frames, _, fig = tab.particles(0, 200, 5)      # DDPM and flow matching side by side, from the same noise
    assert len(frames) == 6 and frames[0].shape == (2, 200, 2) and len(fig.axes) == 2
    assert np.array_equal(frames[0][0], frames[0][1]) and not np.array_equal(frames[-1][0], frames[-1][1])
    assert "DDPM" in fig.axes[0].get_title() and "flow" in fig.axes[1].get_title()
    assert len(tab.particle_plot(frames, 0).axes) == 2
    cmp_img, notes = tab.compare(0, "2", 2.0)
    assert notes.count(" s") == 4 and "HEUN-100" in notes


def test_diffusion_tab_slider_changes_image(page):
    from conftest import open_tab

    open_tab(page, "Diffusion")
    page.wait_for_function("() => document.querySelector('#diff_img img')?.src")
    old = page.evaluate("() => document.querySelector('#diff_img img').src")
    slider = page.locator("#diff_steps input[type=range]")
    slider.fill("8")
    slider.dispatch_event("pointerup")       # Gradio's .release listens for pointerup on the range input
    page.wait_for_function("(s) => document.querySelector('#diff_img img')?.src !== s", arg=old)
    page.screenshot(path=str(page.screenshot_dir / "diffusion_tab.png"), full_page=True)
    assert not page.errors
