"""A training run as data (STYLE.md §15): one object that holds everything a run needs to go on, and one function
that advances it by N steps or seconds. It crosses process boundaries as its checkpoint form (CPU tensors and
JSON, never a pickled module), so a ZeroGPU call can take it, train it on the GPU and give it back.

    run = TrainRun.start(model, dataset, steps=2000, batch_size=64, seed=0)
    for update in advance(run, seconds=20):       # {"step", "total", "rate", "points", "previews", "device"}
        ...
    for update in train_chunk(run, 20.0):         # a GPU call; its last value is {"run": the run, on the CPU}
        ...

Batches and noise are derived from (seed, step) and the learning-rate horizon is fixed when the run starts, so
a run advanced in chunks follows the same curve as one uninterrupted `train` call.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import device as dev
from .base import _config_to_json, config_from_json, load_state_into
from .data import DATASETS, Dataset, dataset_kind, load_dataset
from .errors import EngineError
from .recipe import TrainState, restore_state, run_defaults, state_tensors

UPDATE_S = 1.0                # an update leaves `advance` this often (the page's pace: bench/README.md)
CALL_OVERHEAD_S = 10          # a GPU call's start on ZeroGPU (fork, CUDA context, moving the run): requested on top
STOP_DIR = Path(tempfile.gettempdir()) / "latent-lab-stop"


@dataclass(eq=False)
class TrainRun:
    """One training run: the model (holding the EMA weights between steps), its TrainState (raw weights,
    optimisers, step, recipe), the data, the settings, the loss curve [(step, series, value)] and the seconds
    spent training."""
    model: torch.nn.Module
    state: TrainState
    dataset: Dataset
    seed: int = 0
    batch_size: int = 64
    total: int = 0                     # the step the run ends at
    sample_every: int = 100
    n_samples: int = 16
    curve: list = field(default_factory=list)
    elapsed: float = 0.0

    @classmethod
    def start(cls, model, dataset: Dataset, *, steps: int, batch_size: int, seed: int = 0, lr=None,
              sample_every: int = 100, n_samples: int = 16, state: TrainState | None = None) -> "TrainRun":
        """A run of `steps` more steps: from scratch with the family's recipe for this kind of data (as the CLI's
        default), or continuing `state` (an uploaded checkpoint, a finished run trained on)."""
        if steps <= 0 or batch_size <= 0:
            raise EngineError("steps and batch size must be positive")
        state = state or TrainState(model, model.configure_optimizers(lr), recipe=run_defaults(model, dataset).recipe)
        total = state.step + steps
        if not state.recipe.horizon:          # as one train() call of `steps` would: the schedule ends at the run's end
            state.recipe = dataclasses.replace(state.recipe, horizon=max(total, state.recipe.warmup + 1))
        return cls(model, state, dataset, seed=seed, batch_size=batch_size, total=total, sample_every=sample_every,
                   n_samples=n_samples)

    @property
    def step(self) -> int:
        return self.state.step

    @property
    def done(self) -> bool:
        return self.state.step >= self.total

    # -- the run as data: what crosses a process boundary
    def __getstate__(self) -> dict:
        tensors, info = state_tensors(self.state)
        cpu = lambda d: {k: v.detach().to("cpu") for k, v in d.items()}  # noqa: E731
        return {"family": self.model.name, "config": _config_to_json(self.model.config),
                "meta": getattr(self.model, "meta", None), "weights": cpu(self.model.state_dict()),
                "extra": cpu(tensors), "info": info, "dataset": _dataset_state(self.dataset),
                "settings": {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                             if f.name not in ("model", "state", "dataset")}}

    def __setstate__(self, data: dict) -> None:
        self.__init__(**_rebuilt(data, dev.CPU), **data["settings"])

    def to(self, device: torch.device | str) -> "TrainRun":
        """This run on `device`: itself where it already is, else a copy there (through its checkpoint form)."""
        device = torch.device(device)
        if self.model.device == device:
            return self
        data = self.__getstate__()
        return TrainRun(**_rebuilt(data, device), **data["settings"])


def _rebuilt(data: dict, device: torch.device) -> dict:
    """model, state and dataset of a run's checkpoint form, on `device` (the EMA in the model, the raw weights and
    the optimiser state in the state, as `load_run` restores a file)."""
    from . import REGISTRY

    cls = REGISTRY[data["family"]]
    model = cls(config_from_json(cls.Config, data["config"]))
    load_state_into(model, data["weights"], "run")
    if data.get("meta") is not None:
        model.meta = data["meta"]
    model = model.to(device).eval()
    info = data["info"]
    state = restore_state(model, data["extra"], {"steps": info["ema"]["step"], "recipe": info["recipe"],
                                                 "optimizer": info.get("optimizer")})
    return {"model": model, "state": state, "dataset": _dataset_from(data["dataset"])}


def _dataset_state(d: Dataset):
    """A built-in dataset travels as its name (the other side loads it again); a user's data as itself."""
    if getattr(d, "source", None) is None:
        try:
            if dataset_kind(d.name) == d.kind and d.name in DATASETS:
                return d.name
        except ValueError:
            pass
    return d


@functools.lru_cache(maxsize=4)
def _builtin(name: str) -> Dataset:
    """A built-in training set, loaded once per process (a GPU worker takes one run's chunks one after another)."""
    return load_dataset(name, "train")


def _dataset_from(state) -> Dataset:
    return _builtin(state) if isinstance(state, str) else state


# ----------------------------------------------------------------------------- advancing a run
def advance(run: TrainRun, *, steps: int | None = None, seconds: float | None = None, should_stop=None,
            update_s: float = UPDATE_S):
    """Train `run` on (in place) for at most `steps` steps and `seconds` seconds, to its end at most, or until
    `should_stop()` says so (checked every step). Yields an update every `update_s` seconds: {"step", "total",
    "rate" (steps/s), "points" (new curve points), "previews" (new [(step, CPU samples)]), "device"}; the last one
    has "end": "finished" | "chunk" | "stopped"."""
    from .train import train

    left = run.total - run.state.step
    n = left if steps is None else min(steps, left)
    if n <= 0:
        return
    events = train(run.model, run.dataset, steps=n, batch_size=run.batch_size, seed=run.seed,
                   sample_every=run.sample_every, n_samples=run.n_samples, state=run.state, time_limit=seconds)
    where = dev.describe(run.model.device)
    points, previews, rate, last, t_step = [], [], 0.0, time.monotonic(), None
    end = "chunk"

    def update(**more):
        return {"step": run.state.step, "total": run.total, "rate": rate, "points": points, "previews": previews,
                "device": where, **more}
    try:
        for ev in events:
            kind = ev["event"]
            if kind == "step":
                points += [(ev["step"], k, float(v)) for k, v in ev["losses"].items()]
                rate, t_step = ev["steps_per_s"], ev["elapsed"]
                if should_stop is not None and should_stop():
                    end = "stopped"
                    break
            elif kind == "samples" and (ev["step"] % run.sample_every == 0 or ev["step"] == run.total):
                x = ev["samples"]                  # (not the preview `train` adds at a chunk's last step)
                previews.append((ev["step"], x.detach().to("cpu") if torch.is_tensor(x) else x))
            elif kind == "done":
                break
            if time.monotonic() - last >= update_s:
                run.curve += points
                yield update()
                points, previews, last = [], [], time.monotonic()
    finally:
        events.close()
        run.model.eval()
        run.elapsed += t_step or 0.0
    if end == "chunk" and run.done:
        end = "finished"
    run.curve += points
    yield update(end=end)


def chunk_duration(run: TrainRun, seconds: float, stop_token: str | None = None, steps: int | None = None) -> int:
    """The GPU seconds a chunk asks ZeroGPU for: its training time and the call's start-up."""
    return int(math.ceil(seconds + CALL_OVERHEAD_S))


@dev.gpu_call(duration=chunk_duration)
def train_chunk(run: TrainRun, seconds: float, stop_token: str | None = None, steps: int | None = None):
    """A GPU call: `run` trained on for at most `seconds` (and `steps`) on the heavy device (to its end at most, or
    until `request_stop(stop_token)`), yielding `advance`'s updates (floats, CPU tensors: they may cross a process
    boundary); the last value is {"run": the run trained on, on the CPU}."""
    work = run.to(dev.heavy_device())
    try:
        yield from advance(work, steps=steps, seconds=seconds, should_stop=stop_requested(stop_token))
    except Exception as e:
        if dev.is_out_of_memory(e):
            dev.free_memory()
        raise
    yield {"run": work.to(dev.CPU)}


# ----------------------------------------------------------------------------- stopping a chunk from outside
def _stop_path(token: str) -> Path:
    if not token or not token.replace("-", "").isalnum() or len(token) > 64:
        raise EngineError("bad stop token")
    return STOP_DIR / token


def request_stop(token: str) -> None:
    """Ask the chunk running under `token` to end after its current step (it may be in another process: a
    ZeroGPU worker shares this machine's files, not its memory)."""
    STOP_DIR.mkdir(parents=True, exist_ok=True)
    _stop_path(token).touch()


def clear_stop(token: str) -> None:
    _stop_path(token).unlink(missing_ok=True)


def stop_requested(token: str | None):
    """A check for `advance`'s should_stop: has `request_stop(token)` been called? (None: never.)"""
    if not token:
        return None
    path = str(_stop_path(token))
    return lambda: os.path.exists(path)
