"""The loop owns optimisation: EMA, the lr schedule, clipping, resume bit for bit, DistributedDataParallel under
torchrun, and the GAN's phases. Tiny models, real steps on the CPU."""
from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import generators
from generators.autoregressive import Autoregressive, AutoregressiveConfig
from generators.base import make_generator, read_safetensors
from generators.data import Dataset, load_toy
from generators.train import Recipe, TrainState, lr_factor, restore_state, train, train_step

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
POINTS = load_toy("8gaussians", "train", n=256)


def tiny_gan(**kw):
    return generators.build("gan", "8gaussians", seed=0, hidden=16, latent_dim=4, **kw)


def copies(tensors: dict) -> dict:
    return {k: v.detach().clone() for k, v in tensors.items()}


def run(model, steps: int, state=None, **kw) -> TrainState:
    state = state or TrainState(model, model.configure_optimizers(kw.pop("lr", None)))
    for _ in train(model, kw.pop("data", POINTS), steps=steps, batch_size=kw.pop("batch_size", 16), state=state,
                   sample_every=kw.pop("sample_every", 0), **kw):
        pass
    return state


# ----------------------------------------------------------------------------- EMA
def test_first_ema_update_uses_the_warmed_up_decay():
    model = tiny_gan()
    init = copies(dict(model.named_parameters()))
    state = run(model, 1)
    for k, p in model.named_parameters():       # β_0 = min(0.999, 1/10): the EMA moves 90% of the way
        assert torch.allclose(p, init[k].lerp(state.raw[k], 0.9), atol=1e-7, rtol=0)


def test_ema_differs_from_raw_and_is_what_previews_show_and_checkpoints_hold(tmp_path):
    model = tiny_gan()
    state = TrainState(model, model.configure_optimizers(1e-2))
    events = list(train(model, POINTS, steps=30, batch_size=16, state=state, sample_every=30, n_samples=8,
                        checkpoint=tmp_path / "g", recipe=Recipe(ema_decay=0.9)))
    ema = copies(dict(model.named_parameters()))                 # between events the model holds the EMA
    assert all(torch.equal(ema[k], state.ema[k]) for k in ema)
    assert max((ema[k] - state.raw[k]).abs().max().item() for k in ema) > 1e-4
    shown = next(e for e in events if e["event"] == "samples")["samples"]
    assert torch.equal(shown, model.eval().preview(8, generator=make_generator(1234)))
    state.hold(state.raw)
    assert not torch.allclose(shown, model.preview(8, generator=make_generator(1234)))   # raw weights draw others
    state.hold(state.ema)
    saved, extra = generators.load(tmp_path / "g", device="cpu", with_extra=True)
    for k, p in saved.named_parameters():
        assert torch.equal(p, ema[k]) and torch.equal(extra["raw." + k], state.raw[k])
    assert saved.meta["ema"] == {"decay": 0.9, "step": 30} and saved.meta["steps"] == 30


# ----------------------------------------------------------------------------- schedule and clipping
def test_lr_schedule_values_at_known_steps():
    r = Recipe(warmup=4, schedule="cosine", horizon=12, floor=0.1)
    assert [lr_factor(r, s) for s in (1, 4, 8, 12, 20)] == pytest.approx([0.25, 1.0, 0.55, 0.1, 0.1])
    assert [lr_factor(Recipe(warmup=2), s) for s in (1, 2, 3, 100)] == [0.5, 1.0, 1.0, 1.0]
    model = generators.build("diffusion", "8gaussians", seed=0, hidden=16, timesteps=20)
    state = TrainState(model, model.configure_optimizers(1e-2))
    seen = []
    state.optimizers["net"].register_step_pre_hook(lambda opt, a, k: seen.append(opt.param_groups[0]["lr"]))
    run(model, 12, state, recipe=Recipe(warmup=4, schedule="cosine"))     # horizon: the run's last step, 12
    assert len(seen) == 12 and seen[0] == pytest.approx(2.5e-3) and seen[3] == pytest.approx(1e-2)
    assert seen[7] == pytest.approx(5.5e-3) and seen[11] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="schedule"):
        Recipe(schedule="linear")


def grad_norm(opt) -> float:
    return math.sqrt(sum(float(p.grad.pow(2).sum()) for g in opt.param_groups for p in g["params"] if p.grad is not None))


@pytest.mark.parametrize("clip", [0.0, 0.05])
def test_clipping_bounds_the_gradient_norm_the_step_sees(clip):
    model = generators.build("diffusion", "8gaussians", seed=0, hidden=16, timesteps=20)
    state = TrainState(model, model.configure_optimizers())
    norms = []
    state.optimizers["net"].register_step_pre_hook(lambda opt, a, k: norms.append(grad_norm(opt)))
    run(model, 5, state, recipe=Recipe(grad_clip=clip))
    if clip:
        assert max(norms) <= clip * (1 + 1e-5)
    else:
        assert min(norms) > 0.05                 # unclipped, the same steps' gradients are larger than the clip


# ----------------------------------------------------------------------------- resume
RESUME = Recipe(warmup=3, schedule="cosine", horizon=10, grad_clip=1.0, ema_decay=0.99)


def test_resumed_run_equals_an_uninterrupted_one_bit_for_bit(tmp_path):
    whole = tiny_gan(n_critic=2)
    ws = run(whole, 10, recipe=RESUME)
    first = tiny_gan(n_critic=2)
    run(first, 6, recipe=RESUME, checkpoint=tmp_path / "half")
    model, extra = generators.load(tmp_path / "half", device="cpu", with_extra=True)
    rs = run(model, 4, restore_state(model, extra, model.meta))      # the checkpoint's recipe, step 6, Adam state
    assert rs.step == ws.step == 10 and rs.recipe == ws.recipe
    for k, p in whole.named_parameters():
        assert torch.equal(p, dict(model.named_parameters())[k]), k      # EMA
        assert torch.equal(ws.raw[k], rs.raw[k]), k                      # raw
    for name in ("G", "D"):
        a, b = ws.optimizers[name], rs.optimizers[name]
        assert a.param_groups[0]["lr"] == b.param_groups[0]["lr"] < a.param_groups[0]["initial_lr"]
        for pa, pb in zip(a.param_groups[0]["params"], b.param_groups[0]["params"]):
            assert all(torch.equal(a.state[pa][s], b.state[pb][s]) for s in ("step", "exp_avg", "exp_avg_sq"))


def test_cli_time_limit_then_resume_equals_one_run(tmp_path):
    """--time-limit 0 stops after the first step and writes the checkpoint; --resume takes its recipe (cosine to
    step 5), EMA, optimizer and step, and five steps in all give the uninterrupted run's tensors exactly."""
    common = [sys.executable, "-m", "generators", "train", "gan", "--checkpoint-every", "0", "--batch-size", "16",
              "--device", "cpu"]
    fresh = ["--dataset", "8gaussians", "--hidden", "16", "--lr-schedule", "cosine", "--warmup", "2", "--grad-clip",
             "1", "--ema-decay", "0.9"]
    for args in (fresh + ["--steps", "5", "--out", str(tmp_path / "whole")],
                 fresh + ["--steps", "5", "--time-limit", "0", "--out", str(tmp_path / "a")],
                 ["--resume", str(tmp_path / "a.safetensors"), "--steps", "4", "--out", str(tmp_path / "b")]):
        r = subprocess.run(common + args, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-800:]
        if "--time-limit" in args:
            assert "done: 1 steps" in r.stderr and "time limit" in r.stderr
    whole, resumed = (read_safetensors(tmp_path / f"{name}.safetensors") for name in ("whole", "b"))
    assert whole.keys() == resumed.keys() and any(k.startswith("extra.raw.") for k in whole)
    assert all(torch.equal(whole[k], resumed[k]) for k in whole), "EMA, raw weights or optimizer state differ"
    metas = [generators.load(tmp_path / name, device="cpu").meta for name in ("whole", "b")]
    assert metas[0]["recipe"] == metas[1]["recipe"] and metas[0]["ema"] == metas[1]["ema"] == {"decay": 0.9, "step": 5}


# ----------------------------------------------------------------------------- DistributedDataParallel
WORDS = ["".join(w) for w in itertools.product("abc", repeat=3)]     # 27 words, each 3 characters + the end token


def ar_run(batch_size: int, checkpoint=None) -> TrainState:
    """A tiny transformer trained 4 steps on same-length words: its loss (a mean over tokens, all rows having
    the same count) and its gradient are the mean over the rows, with no noise: 2 ranks of B = 1 process of 2B.
    Plain SGD, whose update is linear in the gradient (see the bound below)."""
    model = Autoregressive(AutoregressiveConfig(vocab="abc", block_size=5, n_layer=1, n_head=2, n_embd=8))
    model.init_weights(make_generator(0))
    state = TrainState(model, {"net": torch.optim.SGD(model.parameters(), lr=0.5)})
    return run(model, 4, state, data=Dataset("words", "text", texts=WORDS), batch_size=batch_size,
               checkpoint=checkpoint, recipe=Recipe(ema_decay=0.5))


def test_gradients_are_averaged_by_ddp_two_gloo_ranks_equal_one_process(tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(Path(__file__)), str(out)]
    r = subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=180, start_new_session=True)
    assert r.returncode == 0, r.stderr[-1500:]
    one = ar_run(batch_size=16)
    model, extra = generators.load(out, device="cpu", with_extra=True)
    init = Autoregressive(model.config)
    init.init_weights(make_generator(0))
    # The runs differ only in float32 rounding: one mean over 2B rows vs DDP's average of two means over B (and
    # matmuls blocked for another thread count), a few ulps (u = 2^-24 ≈ 6e-8) of each gradient term, |g| ≲ 1
    # here. SGD moves w by lr·g, so a step adds ≲ lr·|Δg| ≈ 0.5·(few·6e-8·|g|) ≈ 1e-7 plus w's own rounding
    # (≤ u·|w| ≈ 2e-7, |w| ≲ 3): ≲ 3e-7 a step, ~1.2e-6 over 4 steps (a gradient changed by Δw through later
    # steps adds less); seen: 6e-8. A missing average (a 2× gradient) would differ by lr·|g| ≫ 1e-3.
    # (Adam would not do here: it divides by √v and blows the round-off of gradients that are exactly 0 in exact
    # arithmetic — the attention's key bias — up to lr·Δg/ε.)
    bound = 2e-6
    for k, p in model.named_parameters():
        assert (p - one.ema[k]).abs().max() <= bound, k
        assert (extra["raw." + k] - one.raw[k]).abs().max() <= bound, k
    moved = max((one.raw[k] - p).abs().max().item() for k, p in init.named_parameters())
    assert moved > 1e3 * bound                           # the steps did move the weights


def _ddp_worker(out: str) -> None:
    import torch.distributed as dist
    dist.init_process_group("gloo")
    try:
        ar_run(batch_size=8, checkpoint=out if dist.get_rank() == 0 else None)
    finally:
        dist.destroy_process_group()


# ----------------------------------------------------------------------------- the GAN's phases
def test_gan_phases_step_the_right_optimisers_in_order():
    model = tiny_gan(n_critic=2)
    state = TrainState(model, model.configure_optimizers(1e-2))
    seen, last = [], copies(state.raw)

    def after(name):
        def hook(opt, args, kwargs):               # inside the step the parameters hold the raw weights
            now = copies(dict(model.named_parameters()))
            changed = {k.split(".")[0] for k in now if not torch.equal(now[k], last[k])}
            seen.append((name, changed))
            last.update(now)
        return hook
    for name, opt in state.optimizers.items():
        opt.register_step_post_hook(after(name))
    batch = (POINTS.x[:32],)
    report = train_step(model, batch, state, generator=make_generator(0))
    assert seen == [("D", {"D"}), ("D", {"D"}), ("G", {"G"})]          # n_critic = 2 D phases, then G
    assert set(report) == {"d_loss", "g_loss", "d_real", "d_fake"}


if __name__ == "__main__":          # a rank under torchrun (the DDP test above)
    _ddp_worker(sys.argv[1])


# ----------------------------------------------------------------------------- the families' default runs
@pytest.mark.parametrize("family,dataset", [("gan", "mnist"), ("vae", "mnist"), ("diffusion", "mnist"),
                                            ("autoregressive", "names")])
def test_cli_with_no_flags_uses_the_familys_default_run(family, dataset, tmp_path, monkeypatch):
    """`train FAMILY --dataset D` alone: the config is config_for(D)'s, and the recipe, batch size and step count
    run_defaults(D)'s — as the loop is called and as the checkpoint's JSON saves them. The loop is only cut to
    2 steps (so the saved horizon is the one a 2-step run resolves)."""
    import dataclasses

    import generators.train as engine
    from generators.__main__ import main
    from generators.recipe import RunDefaults, run_defaults

    cls, seen = generators.REGISTRY[family], {}

    def two_steps(*args, **kw):
        seen.update(kw)
        return real(*args, **{**kw, "steps": 2})

    real = engine.train
    monkeypatch.setattr(engine, "train", two_steps)
    assert main(["train", family, "--dataset", dataset, "--device", "cpu", "--out", str(tmp_path / "run")]) == 0
    d = run_defaults(cls, dataset)
    assert d != RunDefaults()                    # tuned for this kind of data, not the loop's plain defaults
    assert (seen["steps"], seen["batch_size"], seen["recipe"]) == (d.steps, d.batch_size, d.recipe)
    meta = generators.load(tmp_path / "run", device="cpu").meta
    assert meta["config"] == dataclasses.asdict(cls.config_for(dataset))
    assert meta["recipe"] == dataclasses.asdict(dataclasses.replace(d.recipe, horizon=max(2, d.recipe.warmup + 1)))
