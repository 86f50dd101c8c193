"""Flow matching in the diffusion family (tiny CPU models, real training): the objective, Euler/Heun, guidance,
the CLI, and the Diffusion tab's views of flow models."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import generators
from generators.base import make_generator
from generators.diffusion import DiffusionConfig

ROOT = Path(__file__).resolve().parent.parent
POINT = torch.tensor([1.5, -0.5])


def fit(model, x0, y=None, *, steps: int, lr: float, batch: int = 256):
    """Adam on the family's own loss (the objective under test), seeded; returns the model in eval mode."""
    opt, g = torch.optim.Adam(model.parameters(), lr=lr), make_generator(0)
    for _ in range(steps):
        i = torch.randint(0, len(x0), (batch,), generator=g)
        loss = model.loss(x0[i], None if y is None else y[i], generator=g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def one_point():
    """A flow MLP trained on a single 2D point: the exact velocity is v(x, 1) = x − x_0 at t = 1."""
    m = generators.build("diffusion", "8gaussians", objective="flow", hidden=64, timesteps=10, seed=0)
    return fit(m, POINT.expand(8, 2).clone(), steps=1200, lr=3e-3, batch=64)


def rings(radii=(0.5, 1.0, 1.5, 2.0, 2.5), k=24):
    """Starting noise on rings up to |ε| = 2.5 (95.6% of N(0, I₂)'s mass), a deterministic stand-in for draws."""
    a = torch.arange(k) * (2 * torch.pi / k)
    return torch.cat([r * torch.stack([a.cos(), a.sin()], 1) for r in radii])


def test_flow_on_one_point_lands_on_it_in_one_euler_step(one_point):
    z = rings()
    x = one_point.sample(len(z), generator=make_generator(0), latents=z, sampler="euler", steps=1)
    # noise spread over a disc of radius 2.5, 1.58 from the point; one step x = ε − v̂(ε, 1) puts all within 0.3
    assert (x - POINT).norm(dim=1).max() < 0.3
    untrained = generators.build("diffusion", "8gaussians", objective="flow", hidden=64, timesteps=10, seed=0).eval()
    assert (untrained.sample(len(z), generator=make_generator(0), latents=z, sampler="euler", steps=1)
            - POINT).norm(dim=1).max() > 1.0                           # the bound is not met by chance
    for sampler in ("euler", "heun"):
        for steps in (2, 5):
            x = one_point.sample(len(z), generator=make_generator(0), latents=z, sampler=sampler, steps=steps)
            assert (x - POINT).norm(dim=1).max() < 0.3, (sampler, steps)


def test_denoise_predicts_x0_on_the_straight_line(one_point):
    frames = list(one_point.denoise(len(rings()), generator=make_generator(0), latents=rings(), sampler="euler",
                                    steps=4, record_every=1))
    assert [f[0] for f in frames] == [1, 2, 3, 4] and [f[2] for f in frames] == [1.0, 0.75, 0.5, 0.25]
    for _, _, t, xt, x0 in frames:                                    # x̂_0 = x_t − t v̂: the point at every step
        assert (x0 - POINT).norm(dim=1).max() < 0.3, t
    traj = list(one_point.trajectory(3, generator=make_generator(0), frames=2, sampler="heun", steps=4))
    assert [f[0] for f in traj] == [1, 3, 4] and traj[-1][3].shape == (3, 2)


@pytest.mark.parametrize("sampler", ["euler", "heun"])
def test_same_seed_same_samples_and_batch_equals_single(one_point, sampler):
    a = one_point.sample(6, generator=make_generator(3), sampler=sampler, steps=7)
    assert torch.equal(a, one_point.sample(6, generator=make_generator(3), sampler=sampler, steps=7))
    assert not torch.equal(a, one_point.sample(6, generator=make_generator(4), sampler=sampler, steps=7))
    m = one_point.double()           # float64: batched and single matmuls differ only by summation order
    try:
        z = torch.randn(5, 2, generator=make_generator(1), dtype=torch.float64)
        batch = m.sample(5, generator=make_generator(0), latents=z, sampler=sampler, steps=7)
        single = torch.cat([m.sample(1, generator=make_generator(0), latents=z[i:i + 1], sampler=sampler, steps=7)
                            for i in range(5)])
        # round-off ~1e-16 per operation, amplified by ≤ 14 network calls: a leak between samples would be ~1e-1
        assert batch.dtype == torch.float64 and (batch - single).abs().max() < 1e-10
    finally:
        m.float()


def test_bad_steps_and_wrong_samplers_are_refused(one_point):
    g = make_generator(0)
    for steps in (0, 101, 10**9, 2.5, True):
        with pytest.raises(ValueError, match="steps must be a whole number in 1..100"):
            one_point.sample(1, generator=g, sampler="euler", steps=steps)
    assert one_point.sample(1, generator=g, sampler="heun", steps=100).shape == (1, 2)
    for s in ("ddim", "ddpm", "rk4"):
        with pytest.raises(ValueError, match=r"^sampler must be euler or heun for this flow-matching model, not"):
            one_point.sample(1, generator=g, sampler=s)
    with pytest.raises(ValueError, match="eta"):
        one_point.sample(1, generator=g, eta=0.5)
    eps = generators.build("diffusion", "8gaussians", hidden=16, timesteps=20, seed=0).eval()
    for s in ("euler", "heun"):
        with pytest.raises(ValueError, match=r"^sampler must be ddim or ddpm for this ε-prediction model, not"):
            eps.sample(1, generator=g, sampler=s)
    assert one_point.samplers == ("euler", "heun") and eps.samplers == ("ddim", "ddpm")
    assert one_point.max_steps == 100 and eps.max_steps == 20


def test_config_default_sampler_must_fit_the_objective():
    for kw in ({"objective": "flow"}, {"objective": "flow", "default_sampler": "ddpm"},
               {"default_sampler": "heun"}, {"objective": "score"},
               {"objective": "flow", "default_sampler": "euler", "default_steps": 101}):
        with pytest.raises(ValueError):
            DiffusionConfig(**kw)
    assert DiffusionConfig(objective="flow", default_sampler="heun", default_steps=100).objective == "flow"
    for ds in ("mnist", "8gaussians"):               # the dataset's defaults follow the objective
        c = generators.REGISTRY["diffusion"].config_for(ds, objective="flow")
        assert c.default_sampler == "euler" and c.default_steps <= 100


def test_flow_loss_is_velocity_on_the_straight_path():
    m = generators.build("diffusion", "8gaussians", objective="flow", hidden=16, seed=0)
    x0 = torch.randn(32, 2, generator=make_generator(5))
    g1, g2 = make_generator(9), make_generator(9)
    loss = m.loss(x0, generator=g1)
    t, eps = torch.rand(32, generator=g2), torch.randn(32, 2, generator=g2)     # the same draws, in order
    xt = (1 - t)[:, None] * x0 + t[:, None] * eps
    v = m.net(xt, t * (m.config.timesteps - 1))
    assert torch.allclose(loss, ((v - (eps - x0)) ** 2).mean())
    a, b = m.signal_noise(m.config.timesteps - 1)
    assert (a, b) == (0.0, 1.0) and m.signal_noise(0) == (1.0, 0.0)


@pytest.fixture(scope="module")
def flow_unet():
    """A conditional flow UNet (channels 8) after a few real steps on digits."""
    from generators.data import load_mnist

    m = generators.build("diffusion", "mnist", objective="flow", channels=8, timesteps=50, default_steps=3, seed=0)
    d = load_mnist("train")
    return fit(m, d.x[:64] * 2 - 1, d.y[:64], steps=3, lr=1e-3, batch=16)


def test_guidance_steers_flow_too(flow_unet):
    z = flow_unet.draw_latents(2, make_generator(3))
    kw = dict(generator=make_generator(0), latents=z, labels=[4, 7], sampler="heun", steps=2)
    a = flow_unet.sample(2, guidance=1.0, **kw)
    b = flow_unet.sample(2, guidance=3.0, **kw)
    assert a.shape == (2, 1, 28, 28) and float(a.min()) >= 0 and float(a.max()) <= 1
    assert not torch.equal(a, b) and torch.equal(a, flow_unet.sample(2, guidance=1.0, **kw))


def test_cli_samples_a_flow_checkpoint_with_heun(tmp_path, one_point):
    generators.save_checkpoint(one_point, tmp_path / "flow", dataset="8gaussians")
    out = tmp_path / "x.npy"
    r = subprocess.run([sys.executable, "-m", "generators", "sample", "diffusion", "--checkpoint",
                        str(tmp_path / "flow"), "--sampler", "heun", "--steps", "3", "--n", "4", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    x = np.load(out)
    want = one_point.sample(4, generator=make_generator(0), sampler="heun", steps=3).numpy()
    assert x.shape == (4, 2) and x.dtype == np.float32 and np.allclose(x, want, atol=1e-6)
    r = subprocess.run([sys.executable, "-m", "generators", "sample", "diffusion", "--checkpoint",
                        str(tmp_path / "flow"), "--sampler", "ddim", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "euler or heun" in r.stderr.strip().splitlines()[-1]


def test_shipped_flow_model_covers_the_modes_in_few_steps():
    from generators.data import toy_modes
    from generators.metrics import mode_stats

    m = generators.load("diffusion-8gaussians-flow", device="cpu")
    assert m.config.objective == "flow" and m.config.default_sampler == "euler"
    s = mode_stats(m.sample(1000, generator=make_generator(0), steps=10), toy_modes("8gaussians"), 0.02)
    assert s["modes_covered"] == 8 and s["high_quality"] > 0.7          # measured 88.0% on 2,000 (README)


# ----------------------------------------------------------------------------- the Diffusion tab with flow models
import gradio as gr  # noqa: E402
from gradio.context import LocalContext  # noqa: E402

from ui import common as C  # noqa: E402
from ui import diffusion as tab  # noqa: E402


class Req:
    def __init__(self, session):
        self.session_hash = session


@pytest.fixture
def as_session():
    """Handlers run as browser session `s`, which sent `model` to the Diffusion tab (Train → Explore)."""
    tokens = []

    def enter(model, s="flow-session"):
        C.explore(model, Req(s))
        tokens.append(LocalContext.request.set(Req(s)))
    yield enter
    for t in tokens:
        LocalContext.request.reset(t)
    C.unexplore(Req("flow-session"))


def test_particles_show_ddpm_beside_flow_from_the_same_noise():
    frames, slider, fig = tab.particles(3, 300, 4)
    assert len(frames) == 5 and frames[0].shape == (2, 300, 2) and slider["maximum"] == 4
    assert np.array_equal(frames[0][0], frames[0][1])                  # one x_T for both models
    ddpm, flow = (ax.get_title() for ax in fig.axes)
    assert "ddpm step 4 / 4" in ddpm and "euler step 4 / 4" in flow and "modes" in flow
    assert len(tab.particle_plot(frames, 2).axes) == 2
    one = tab.particles(3, 100, 1)[0]                                   # 1 step is allowed (flow: the data mean)
    assert len(one) == 2 and float(np.abs(one[-1][1]).mean()) < 0.5
    for bad in (0, 101, 10**9, float("nan")):
        with pytest.raises(gr.Error):
            tab.particles(3, 300, bad)


def test_main_view_offers_the_flow_samplers_for_a_flow_model(as_session, flow_unet):
    radio, steps, eta = tab.sampler_controls("ddpm")                    # the shipped flow model
    assert [v for _, v in radio["choices"]] == ["euler", "heun"] and radio["value"] == "heun" and eta["visible"] is False
    eps = generators.build("diffusion", "mnist", objective="eps", channels=8, timesteps=50, seed=0).eval()
    as_session(eps)                                                     # a trained ε model sent from Train
    radio, steps, eta = tab.sampler_controls("ddpm")
    assert [v for _, v in radio["choices"]] == ["ddim", "ddpm"] and radio["value"] == "ddpm" and eta["visible"] is True
    as_session(flow_unet)
    radio, steps, eta = tab.sampler_controls("ddim")
    assert [v for _, v in radio["choices"]] == ["euler", "heun"] and radio["value"] == "euler"
    assert steps["maximum"] == 100 and eta["visible"] is False
    assert tab.sampler_controls({"a": 1})[0]["value"] == "euler"
    img = tab.render(0, "3", "heun", 3, 0.5, 2.0, 1)                     # η is DDIM's: not passed to a flow model
    assert img.shape == (224, 224) and np.array_equal(img, tab.render(0, "3", "heun", 3, 0.0, 2.0, 1))
    assert not np.array_equal(img, tab.render(0, "3", "heun", 3, 0.0, 1.0, 1))
    for args in ((0, "3", "ddim", 3, 0.0, 2.0, 1), (0, "3", "heun", 101, 0.0, 2.0, 1), (0, "3", "rk4", 3, 0.0, 2.0, 1)):
        with pytest.raises(gr.Error):
            tab.render(*args)
    outs = list(tab.watch(0, "7", "euler", 4, 0.0, 2.0, 1, progress=lambda *a, **k: None))
    assert "step 4 / 4, t = 0.25" in outs[-1][1]
    _, notes = tab.compare(0, "2", 2.0)
    assert "HEUN-100" in notes and "EULER-3" in notes
    img, _, text = tab.forward("5", 49, 0)                              # t = T−1 is pure noise on the straight path
    assert "0.000 × the digit + 1.000 × noise" in text


def test_a_session_flow_model_takes_the_flow_side_of_the_particles(as_session, one_point):
    as_session(one_point)
    frames, _, _ = tab.particles(0, 100, 3)
    assert np.abs(frames[-1][1] - POINT.numpy()).max() < 0.3 < np.abs(frames[-1][0] - POINT.numpy()).max()
