"""The one training loop every family shares. It yields events and knows nothing of its front-ends:
the CLI feeds them to tqdm, the UI streams them into plots."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from .base import Family, make_generator, save_checkpoint
from .data import Dataset


def optimizer_tensors(optimizers: dict[str, torch.optim.Optimizer]) -> tuple[dict[str, torch.Tensor], dict]:
    """Flatten optimizer state into named tensors (for safetensors) + JSON-able hyperparameters."""
    tensors, groups = {}, {}
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        for pid, st in sd["state"].items():
            for k, v in st.items():
                t = v if torch.is_tensor(v) else torch.tensor(v)
                tensors[f"optim.{name}.{pid}.{k}"] = t
        groups[name] = sd["param_groups"]
    return tensors, groups


def load_optimizer_tensors(optimizers: dict[str, torch.optim.Optimizer], tensors: dict[str, torch.Tensor],
                           groups: dict) -> None:
    for name, opt in optimizers.items():
        if name not in groups:
            continue
        state: dict[int, dict] = {}
        prefix = f"optim.{name}."
        for key, v in tensors.items():
            if key.startswith(prefix):
                pid, k = key[len(prefix):].split(".", 1)
                state.setdefault(int(pid), {})[k] = v
        opt.load_state_dict({"state": state, "param_groups": groups[name]})


def preview_labels(model: Family, n: int) -> torch.Tensor | None:
    return torch.arange(n) % model.num_classes if model.num_classes else None


def _distributed() -> tuple[int, int]:
    """(rank, world size) when running under torchrun with an initialised process group, else (0, 1)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _sync_gradients(model: Family, optimizers: dict[str, torch.optim.Optimizer], world: int) -> list:
    """Data parallelism for any family, including the GAN's two optimisers stepped inside train_step:
    start every rank from rank 0's weights, and average each gradient across ranks just before its
    optimiser steps (what DistributedDataParallel does during backward). Returns hook handles."""
    import torch.distributed as dist
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            dist.broadcast(t.data, src=0)

    def average(opt, args, kwargs):
        for group in opt.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
                    p.grad /= world
    return [opt.register_step_pre_hook(average) for opt in optimizers.values()]


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
          checkpoint_every: int = 0, start_step: int = 0, optimizers: dict | None = None,
          time_limit: float | None = None, save_optimizer: bool = True, amp: bool | None = None) -> Iterator[dict]:
    """Train `model` on `dataset` for `steps` steps (counting on from `start_step`), yielding events:

    {"event": "start", "step", "total", "device", "amp", "world_size"}
    {"event": "step", "step", "total", "losses": {...}, "steps_per_s", "items_per_s", "elapsed"}   every step
    {"event": "samples", "step", "samples"}     every `sample_every` steps, from fixed noise
    {"event": "checkpoint", "step", "path"}     every `checkpoint_every` steps and at the end
    {"event": "done", "step", "elapsed", "stopped": "finished" | "time_limit"}
    The consumer stops training simply by not asking for the next event. Data stays on the model's
    device; on CUDA the steps run under bf16 autocast (`amp`, default on where bf16 is supported).
    Under torchrun (an initialised process group) each rank draws its own batches and gradients are
    averaged across ranks; only rank 0 should be given `checkpoint`.
    """
    if steps <= 0 or batch_size <= 0:
        raise ValueError("steps and batch size must be positive")
    device = model.device
    rank, world = _distributed()
    if amp is None:
        amp = device.type == "cuda" and torch.cuda.is_bf16_supported()
    g = make_generator(seed + rank, device)     # batches and noise inside the step (its own stream per rank)
    data = [t.to(device) for t in model.prepare_data(dataset)]
    n = data[0].shape[0]
    if n == 0:
        raise ValueError("dataset is empty")
    optimizers = optimizers or model.configure_optimizers(lr)
    hooks = _sync_gradients(model, optimizers, world) if world > 1 else []
    try:
        yield from _loop(model, dataset, data, optimizers, g, device, amp, rank, world, steps=steps,
                         batch_size=batch_size, sample_every=sample_every, n_samples=n_samples,
                         checkpoint=checkpoint, checkpoint_every=checkpoint_every, start_step=start_step,
                         time_limit=time_limit, save_optimizer=save_optimizer)
    finally:
        for h in hooks:
            h.remove()


def _loop(model, dataset, data, optimizers, g, device, amp, rank, world, *, steps, batch_size, sample_every,
          n_samples, checkpoint, checkpoint_every, start_step, time_limit, save_optimizer):
    preview_seed = 1234                         # fixed noise: the same preview latents at every step
    n = data[0].shape[0]
    total = start_step + steps
    yield {"event": "start", "step": start_step, "total": total, "device": str(device), "amp": bool(amp),
           "world_size": world}
    t0 = time.perf_counter()
    tick, tick_step = t0, start_step
    rate = 0.0
    step = start_step
    stopped = "finished"

    def save(step):
        extra, groups = optimizer_tensors(optimizers) if save_optimizer else ({}, {})
        info = {"optimizer": json.loads(json.dumps(groups, default=float))} if save_optimizer else {}
        path = save_checkpoint(model, checkpoint, dataset=dataset.name, steps=step, extra=extra, info=info)
        return {"event": "checkpoint", "step": step, "path": str(path)}

    for step in range(start_step + 1, total + 1):
        model.train()
        idx = torch.randint(0, n, (min(batch_size, n),), generator=g, device=device)
        batch = tuple(t[idx] for t in data)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(amp)):
            losses = model.train_step(batch, optimizers, generator=g)
        now = time.perf_counter()
        if now - tick >= 0.5:
            rate, tick, tick_step = (step - tick_step) / (now - tick), now, step
        elif rate == 0.0:
            rate = (step - start_step) / max(now - t0, 1e-9)
        yield {"event": "step", "step": step, "total": total, "losses": losses, "steps_per_s": rate,
               "items_per_s": rate * batch[0].shape[0] * world, "elapsed": now - t0}
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
