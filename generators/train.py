"""The one training loop every family shares. A family only computes its losses (`Family.losses`); the loop owns
the rest of the recipe: backward, gradient clipping, the learning-rate schedule, the optimiser steps, bf16
autocast, an EMA of the weights, data parallelism (DistributedDataParallel under torchrun) and checkpoints.
It yields events and knows nothing of its front-ends: the CLI feeds them to tqdm, the UI streams them into plots."""
from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from . import device as device_mod
from .base import Family, make_generator
from .data import Dataset
from .errors import EngineError
from .recipe import (Recipe, TrainState, load_optimizer_tensors, load_run, optimizer_tensors, restore_state,
                     save_run, state_tensors)

__all__ = ["Recipe", "TrainState", "lr_factor", "train", "train_step", "step_phase", "restore_state",
           "state_tensors", "optimizer_tensors", "load_optimizer_tensors", "preview_labels", "save_run", "load_run"]

def lr_factor(recipe: Recipe, step: int) -> float:
    """The multiplier of the peak lr at optimisation step `step` (1-based)."""
    if step <= recipe.warmup:
        return step / recipe.warmup
    if recipe.schedule == "constant":
        return 1.0
    if recipe.horizon <= recipe.warmup:
        raise EngineError("a cosine schedule needs its horizon (the train() call sets it to the run's last step)")
    p = min((step - recipe.warmup) / (recipe.horizon - recipe.warmup), 1.0)      # progress of the decay, 0 → 1
    return recipe.floor + (1 - recipe.floor) * 0.5 * (1 + math.cos(math.pi * p))


def step_phase(optimizer: torch.optim.Optimizer, loss: torch.Tensor, *, clip: float = 0.0) -> None:
    """zero_grad, backward, clip the total gradient norm of the optimiser's parameters to `clip` (0: off), step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], clip)
    optimizer.step()


def train_step(model: Family, batch, state: TrainState, *, generator: torch.Generator, recipe: Recipe | None = None,
               amp: bool = False, wrappers: dict | None = None) -> dict[str, float]:
    """One training step: each (optimiser, loss) phase of `model.losses`, in order, is computed (under bf16
    autocast with `amp`) with the raw weights in, then stepped at the scheduled lr; then the EMA follows.
    Returns the floats the family reports. `wrappers`: the DDP wrappers `train` makes under torchrun."""
    recipe = recipe or state.recipe
    state.step += 1
    factor = lr_factor(recipe, state.step)
    state.hold(state.raw)
    try:
        with _shadowed(model, wrappers or {}):
            phases = model.losses(batch, generator=generator)
            while True:
                with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=bool(amp)):
                    try:
                        name, loss = next(phases)               # the family's forward and loss
                    except StopIteration as end:
                        report = end.value
                        break
                opt = state.optimizers[name]
                for group in opt.param_groups:
                    group["lr"] = group["initial_lr"] * factor
                step_phase(opt, loss, clip=recipe.grad_clip)
        state.update_ema(recipe.ema_decay)
    finally:
        state.hold(state.ema)
    return report


@contextmanager
def _shadowed(model: Family, wrappers: dict):
    """For one step, `model.<name>` is the DDP wrapper of that network, so the family's own forward calls go
    through DDP (which syncs the gradients in backward). The wrapper is an instance attribute that shadows the
    submodule (nn.Module looks in its _modules only when normal lookup fails): state_dict() and parameters()
    stay those of the plain model."""
    for name, w in wrappers.items():
        object.__setattr__(model, name, w)
    try:
        yield
    finally:
        for name in wrappers:
            vars(model).pop(name, None)


def _ddp_wrappers(model: Family, state: TrainState, device: torch.device) -> dict:
    """One DistributedDataParallel per network in `model.NETWORKS` (the GAN: G and D), made with the raw weights
    in: DDP starts every rank from rank 0's; the EMA is broadcast to match."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    names = type(model).NETWORKS
    owned = {id(p) for n in names for p in getattr(model, n).parameters()}
    if not names or any(id(p) not in owned for p in model.parameters()):
        raise EngineError("{family}: data parallelism needs every trained parameter in one of NETWORKS {names}",
                          family=model.name, names=names)
    state.hold(state.raw)
    try:
        ids = device_mod.ddp_ids(device)
        wrappers = {n: DistributedDataParallel(getattr(model, n), device_ids=ids) for n in names}
        for t in state.ema.values():
            dist.broadcast(t, src=0)
    finally:
        state.hold(state.ema)
    return wrappers


def _derived_seed(*parts: int) -> int:
    """A seed for (run seed, step[, rank]): a hash, so neighbouring steps and runs get unrelated streams."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def _batch(data: list[torch.Tensor], g: torch.Generator, *, seed: int, step: int, rank: int, world: int, size: int):
    """Step `step`'s batch for this rank, and `g` seeded for this rank's noise in the step; both are derived from
    (seed, step, rank), so a resumed run re-derives them (nothing to save). Every rank draws the same world·size
    indices and takes slice `rank`: 2 ranks of B see the batch one process sees at 2B."""
    g.manual_seed(_derived_seed(seed, step))
    idx = torch.randint(0, data[0].shape[0], (world * size,), generator=g, device=g.device)
    idx = idx[rank * size:(rank + 1) * size]
    g.manual_seed(_derived_seed(seed, step, rank))
    return tuple(t[idx] for t in data)


def preview_labels(model: Family, n: int) -> torch.Tensor | None:
    return torch.arange(n) % model.num_classes if model.num_classes else None


def _distributed() -> tuple[int, int]:
    """(rank, world size) when running under torchrun with an initialised process group, else (0, 1)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _over_limit(over: bool, world: int) -> bool:
    """Ranks agree to stop together (one rank leaving early would hang the others' all_reduce)."""
    if world == 1:
        return over
    import torch.distributed as dist
    flag = torch.tensor([float(over)])
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())


def train(model: Family, dataset: Dataset, *, steps: int, batch_size: int = 64, lr: float | None = None,
          seed: int = 0, sample_every: int = 100, n_samples: int = 16, checkpoint: str | Path | None = None,
          checkpoint_every: int = 0, state: TrainState | None = None, recipe: Recipe | None = None,
          time_limit: float | None = None, save_optimizer: bool = True, amp: bool | None = None) -> Iterator[dict]:
    """Train `model` on `dataset` for `steps` steps (counting on from `state.step`), yielding events:

    {"event": "start", "step", "total", "device", "amp", "world_size"}
    {"event": "step", "step", "total", "losses": {...}, "steps_per_s", "items_per_s", "elapsed"}   every step
    {"event": "samples", "step", "samples"}     every `sample_every` steps, from fixed noise, with the EMA weights
    {"event": "checkpoint", "step", "path"}     every `checkpoint_every` steps and at the end
    {"event": "done", "step", "elapsed", "stopped": "finished" | "time_limit"}
    The consumer stops training simply by not asking for the next event. Between events `model` holds the EMA
    weights; `state` (made from `model.configure_optimizers(lr)` when not given) holds the raw ones, the
    optimisers and the step, and continues the run in a later call. `recipe`: the state's when not given. A
    checkpoint's weights are the EMA; with `save_optimizer` it also keeps the state (resume with
    `restore_state`). Data stays on the model's device; on CUDA the forward runs under bf16 autocast (`amp`,
    default on where bf16 is supported). Under torchrun (an initialised process group) each rank trains its
    slice of the batch through DistributedDataParallel; only rank 0 should be given `checkpoint`.
    """
    if steps <= 0 or batch_size <= 0:
        raise EngineError("steps and batch size must be positive")
    device = model.device
    rank, world = _distributed()
    if amp is None:
        amp = device_mod.amp_default(device)
    data = [t.to(device) for t in model.prepare_data(dataset)]
    if data[0].shape[0] == 0:
        raise EngineError("dataset is empty")
    state = state or TrainState(model, model.configure_optimizers(lr))
    recipe = recipe or state.recipe
    if not recipe.horizon:                      # saved resolved: a resumed run continues the same curve; a run
        # shorter than the warmup (a family's default one, cut short by --steps) ends still warming up
        recipe = dataclasses.replace(recipe, horizon=max(state.step + steps, recipe.warmup + 1))
    state.recipe = recipe
    wrappers = _ddp_wrappers(model, state, device) if world > 1 else {}
    yield from _loop(model, dataset, data, state, wrappers, device, amp, rank, world, steps=steps,
                     batch_size=batch_size, seed=seed, sample_every=sample_every, n_samples=n_samples,
                     checkpoint=checkpoint, checkpoint_every=checkpoint_every, time_limit=time_limit,
                     save_optimizer=save_optimizer)


def _loop(model, dataset, data, state, wrappers, device, amp, rank, world, *, steps, batch_size, seed,
          sample_every, n_samples, checkpoint, checkpoint_every, time_limit, save_optimizer):
    preview_seed = 1234                         # fixed noise: the same preview latents at every step
    size = min(batch_size, data[0].shape[0])
    start_step = state.step
    total = start_step + steps
    yield {"event": "start", "step": start_step, "total": total, "device": str(device), "amp": bool(amp),
           "world_size": world}
    t0 = time.perf_counter()
    tick, tick_step = t0, start_step
    rate = 0.0
    step = start_step
    stopped = "finished"
    g = make_generator(seed, device)            # reseeded for every step (`_batch`)

    def save(step):
        path = save_run(checkpoint, model, state, dataset=dataset.name, steps=step, with_optimizer=save_optimizer)
        return {"event": "checkpoint", "step": step, "path": str(path)}

    for step in range(start_step + 1, total + 1):
        model.train()
        batch = _batch(data, g, seed=seed, step=step, rank=rank, world=world, size=size)
        losses = train_step(model, batch, state, generator=g, amp=amp, wrappers=wrappers)
        now = time.perf_counter()
        if now - tick >= 0.5:
            rate, tick, tick_step = (step - tick_step) / (now - tick), now, step
        elif rate == 0.0:
            rate = (step - start_step) / max(now - t0, 1e-9)
        yield {"event": "step", "step": step, "total": total, "losses": losses, "steps_per_s": rate,
               "items_per_s": rate * size * world, "elapsed": now - t0}
        if sample_every and (step % sample_every == 0 or step == total):
            model.eval()
            with torch.no_grad():
                s = model.preview(n_samples, generator=make_generator(preview_seed, device))
            yield {"event": "samples", "step": step, "samples": s}
        if checkpoint and checkpoint_every and step % checkpoint_every == 0 and step != total:
            yield save(step)
        if time_limit is not None and _over_limit(now - t0 > time_limit, world):
            stopped = "time_limit"
            break
    model.eval()
    if checkpoint:
        yield save(step)
    yield {"event": "done", "step": step, "elapsed": time.perf_counter() - t0, "stopped": stopped}
