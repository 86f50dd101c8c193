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


def train(model: Family, dataset: Dataset, *, steps: int, batch_size: int = 64, lr: float | None = None,
          seed: int = 0, sample_every: int = 100, n_samples: int = 16, checkpoint: str | Path | None = None,
          checkpoint_every: int = 0, start_step: int = 0, optimizers: dict | None = None,
          time_limit: float | None = None, save_optimizer: bool = True) -> Iterator[dict]:
    """Train `model` on `dataset` for `steps` steps (counting on from `start_step`), yielding events:

    {"event": "start", "step", "total", "device"}
    {"event": "step", "step", "total", "losses": {...}, "steps_per_s", "elapsed"}   every step
    {"event": "samples", "step", "samples"}     every `sample_every` steps, from fixed noise
    {"event": "checkpoint", "step", "path"}     every `checkpoint_every` steps and at the end
    {"event": "done", "step", "elapsed", "stopped": "finished" | "time_limit"}
    The consumer stops training simply by not asking for the next event.
    """
    if steps <= 0 or batch_size <= 0:
        raise ValueError("steps and batch size must be positive")
    device = model.device
    g = make_generator(seed, device)            # batches and noise inside the step
    preview_seed = 1234                         # fixed noise: the same preview latents at every step
    data = [t.to(device) for t in model.prepare_data(dataset)]
    n = data[0].shape[0]
    if n == 0:
        raise ValueError("dataset is empty")
    optimizers = optimizers or model.configure_optimizers(lr)
    total = start_step + steps
    yield {"event": "start", "step": start_step, "total": total, "device": str(device)}
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
        losses = model.train_step(batch, optimizers, generator=g)
        now = time.perf_counter()
        if now - tick >= 0.5:
            rate, tick, tick_step = (step - tick_step) / (now - tick), now, step
        elif rate == 0.0:
            rate = (step - start_step) / max(now - t0, 1e-9)
        yield {"event": "step", "step": step, "total": total, "losses": losses, "steps_per_s": rate,
               "elapsed": now - t0}
        if sample_every and (step % sample_every == 0 or step == total):
            model.eval()
            with torch.no_grad():
                s = model.preview(n_samples, generator=make_generator(preview_seed, device))
            yield {"event": "samples", "step": step, "samples": s}
        if checkpoint and checkpoint_every and step % checkpoint_every == 0 and step != total:
            yield save(step)
        if time_limit is not None and now - t0 > time_limit:
            stopped = "time_limit"
            break
    model.eval()
    if checkpoint:
        yield save(step)
    yield {"event": "done", "step": step, "elapsed": time.perf_counter() - t0, "stopped": stopped}
