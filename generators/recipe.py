"""How a run is trained and what carries it on: the Recipe (schedule, clipping, EMA), the TrainState (optimisers,
raw weights, step) and their checkpoint form (safetensors tensors + JSON, never pickle)."""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

import torch

from .base import check_choices, check_reals, check_whole_numbers, config_from_json
from .data import dataset_kind
from .errors import EngineError

SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class Recipe:
    """How the loop optimises any family; saved with resumable checkpoints so a resumed run continues it."""
    warmup: int = 0               # steps of linear warmup: lr·s/warmup at step s ≤ warmup
    schedule: str = "constant"    # after the warmup: constant | cosine (down to floor·lr at step `horizon`)
    floor: float = 0.1            # cosine's final lr, as a fraction of the peak
    horizon: int = 0              # the step where cosine reaches its floor (0: the run's last step)
    grad_clip: float = 0.0        # clip each optimiser's gradients to this total L2 norm (0: off)
    ema_decay: float = 0.999      # β of the weights' EMA (0: the EMA is the raw weights)

    def __post_init__(self):
        check_choices(self, (("schedule", SCHEDULES),))
        check_whole_numbers(self, (("warmup", 0, 10**8), ("horizon", 0, 10**9)))
        check_reals(self, (("floor", 0.0, 1.0), ("grad_clip", 0.0, 1e9)))
        if not (isinstance(self.ema_decay, (int, float)) and 0 <= self.ema_decay < 1):
            raise EngineError("ema_decay must be in [0, 1)")
        if self.schedule == "cosine" and self.horizon and self.horizon <= self.warmup:
            raise EngineError("the cosine horizon ({horizon}) must come after the warmup ({warmup})",
                              horizon=self.horizon, warmup=self.warmup)

    @classmethod
    def from_json(cls, data) -> Recipe:
        """The recipe a checkpoint's JSON saved (refusing unknown fields); the default when there is none."""
        return config_from_json(cls, data) if data is not None else cls()


@dataclass(frozen=True)
class RunDefaults:
    """How a run from scratch starts when no flag says otherwise (the CLI and the Train tab read it): the
    recipe, the batch size and the step count a family was tuned with for one kind of data."""
    recipe: Recipe = field(default_factory=Recipe)
    batch_size: int = 64
    steps: int = 2000


def run_defaults(family, dataset) -> RunDefaults:
    """The RunDefaults of a run from scratch of `family` (class or model) on `dataset` (a name, or a loaded
    Dataset: an upload has no registered name), chosen by the data's kind from the family's RUN_DEFAULTS; the
    plain ones where it has none for that kind."""
    kind = dataset.kind if hasattr(dataset, "kind") else dataset_kind(dataset)
    return family.RUN_DEFAULTS.get(kind, RunDefaults())


class TrainState:
    """What carries a run on between `train` calls and into a resumable checkpoint: the optimisers, the raw
    weights, the step and the recipe. Between steps the model's parameters hold the EMA weights (what previews,
    sampling and checkpoints use) and the raw ones live here: a step repoints each parameter at its raw tensor
    (`p.data = …`, no copy) and back. Make it once the model is on its device."""

    def __init__(self, model: torch.nn.Module, optimizers: dict[str, torch.optim.Optimizer], *, step: int = 0,
                 raw: dict[str, torch.Tensor] | None = None, recipe: Recipe | None = None):
        self.optimizers, self.step, self.recipe = optimizers, step, recipe or Recipe()
        self.params = dict(model.named_parameters())
        self.ema = {k: p.data for k, p in self.params.items()}            # the model's own tensors
        self.raw = raw if raw is not None else {k: t.clone() for k, t in self.ema.items()}
        for opt in optimizers.values():
            for group in opt.param_groups:
                group.setdefault("initial_lr", group["lr"])                # the peak lr the schedule scales

    def hold(self, weights: dict[str, torch.Tensor]) -> None:
        """Point the model's parameters at `weights` (self.raw or self.ema)."""
        for k, p in self.params.items():
            p.data = weights[k]

    @torch.no_grad()
    def update_ema(self, decay: float) -> None:
        """θ_ema ← β·θ_ema + (1−β)·θ_raw, β = min(decay, (1+t)/(10+t)) with t the updates before this one: early
        on the EMA follows the raw weights instead of remembering the random init."""
        t = self.step - 1
        beta = min(decay, (1 + t) / (10 + t))
        for k, e in self.ema.items():
            e.lerp_(self.raw[k], 1 - beta)


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


def state_tensors(state: TrainState, *, with_optimizer: bool = True) -> tuple[dict[str, torch.Tensor], dict]:
    """A TrainState in checkpoint form: tensors `raw.<parameter>` and `optim.<optimiser>.<id>.<key>` (left out
    without `with_optimizer`), and JSON {"ema": {"decay", "step"}, "recipe", "optimizer": hyperparameters}."""
    info = {"ema": {"decay": state.recipe.ema_decay, "step": state.step}, "recipe": dataclasses.asdict(state.recipe)}
    if not with_optimizer:
        return {}, info
    tensors, groups = optimizer_tensors(state.optimizers)
    tensors.update({"raw." + k: v for k, v in state.raw.items()})
    info["optimizer"] = json.loads(json.dumps(groups, default=float))
    return tensors, info


def _fitting(v, p: torch.Tensor, name: str, *, raw: bool) -> torch.Tensor:
    """`v` checked against parameter `p`: the raw weights of `name` (`raw`), else its optimizer state `name`."""
    if not torch.is_tensor(v) or v.shape != p.shape or v.dtype != p.dtype or not bool(torch.isfinite(v).all()):
        if raw:
            raise EngineError("the checkpoint's raw weights {name} does not fit the model", name=name)
        raise EngineError("the checkpoint's optimizer state {name} does not fit the model", name=name)
    return v.to(p.device)


def _is_step(step) -> bool:
    """A checkpoint's step count: a whole number in 0..10^9."""
    return isinstance(step, int) and not isinstance(step, bool) and 0 <= step <= 10**9


def restore_state(model: torch.nn.Module, extra: dict[str, torch.Tensor], meta: dict, *,
                  lr: float | None = None) -> TrainState:
    """The TrainState a checkpoint saved, for `model` loaded from it (so holding the EMA): its step, recipe, raw
    weights and optimiser state; without the last two (a shipped or --weights-only file) fresh optimisers and
    raw = EMA. Raises ValueError when the saved state does not fit the model exactly."""
    step = meta.get("steps", 0)
    if not _is_step(step):
        raise EngineError("the checkpoint's step count is not a whole number in 0..10^9")
    params = dict(model.named_parameters())
    raw = None
    if any(k.startswith("raw.") for k in extra):
        raw = {k: _fitting(extra.get("raw." + k), p, k, raw=True) for k, p in params.items()}
    optimizers = model.configure_optimizers(lr)
    groups = meta.get("optimizer")
    if isinstance(groups, dict) and any(k.startswith("optim.") for k in extra):
        try:
            load_optimizer_tensors(optimizers, extra, groups)
        except (KeyError, TypeError, IndexError, RuntimeError) as e:
            raise EngineError("the checkpoint's optimizer state does not fit the model ({error})",
                              error=type(e).__name__) from None
        for opt in optimizers.values():
            for p, st in opt.state.items():
                for k, v in st.items():
                    if k != "step":
                        st[k] = _fitting(v, p, k, raw=False)
    return TrainState(model, optimizers, step=step, raw=raw, recipe=Recipe.from_json(meta.get("recipe")))


# ----------------------------------------------------------------------------- a run on disk
MAX_CURVE = 5_000             # loss points a run's checkpoint keeps (thinned evenly beyond)


@dataclass
class SavedRun:
    """What `load_run` gives back: the model (EMA weights, `.meta`), its TrainState, its loss curve
    [(step, series, value)], and whether the optimisers are fresh because the file's state did not fit."""
    model: torch.nn.Module
    state: TrainState
    curve: list
    fresh: bool = False


def save_run(path, model, state: TrainState | None, *, dataset: str, steps: int, curve=(),
             with_optimizer: bool = True):
    """One checkpoint for a run: the EMA weights; the raw weights, optimiser state and recipe (without
    `with_optimizer`, only the recipe); the loss curve [(step, series, value)], thinned to MAX_CURVE points.
    The Train tab's Download and the loop's checkpoints both write it; `load_run` reads it."""
    from .base import save_checkpoint

    extra, info = state_tensors(state, with_optimizer=with_optimizer) if state is not None else ({}, {})
    curve = [[int(s), str(k), float(v)] for s, k, v in curve]
    if curve:
        info["curve"] = curve[::-(-len(curve) // MAX_CURVE)]
    return save_checkpoint(model, path, dataset=dataset, steps=steps, extra=extra, info=info)


def load_run(path, *, device="auto", family: str | None = None, lr: float | None = None,
             fresh_on_misfit: bool = False) -> SavedRun:
    """A run saved by `save_run` (or any checkpoint: a shipped one continues with fresh optimisers), validated:
    never unpickled, the raw weights and optimiser state must fit every parameter exactly. A misfit raises
    ValueError, or with `fresh_on_misfit` continues with fresh optimisers (`fresh`); a malformed curve is dropped."""
    from . import load

    model, extra = load(path, device=device, family=family, with_extra=True)
    curve = _checked_curve(model.meta.get("curve"))
    try:
        state = restore_state(model, extra, model.meta, lr=lr)
        fresh = not any(k.startswith("optim.") for k in extra)
    except ValueError:
        if not fresh_on_misfit:
            raise
        step = model.meta.get("steps", 0)
        step = step if _is_step(step) else 0
        state, fresh = TrainState(model, model.configure_optimizers(lr), step=step), True
    return SavedRun(model, state, curve, fresh)


def _checked_curve(points) -> list[tuple[int, str, float]]:
    """A checkpoint's loss curve [[step, series, value], ...], checked; nothing when any point is malformed."""
    if not isinstance(points, list) or len(points) > MAX_CURVE:
        return []
    out = []
    for p in points:
        if not (isinstance(p, list) and len(p) == 3 and isinstance(p[0], int) and isinstance(p[1], str)
                and len(p[1]) <= 40 and isinstance(p[2], (int, float)) and math.isfinite(p[2])):
            return []
        out.append((p[0], p[1], float(p[2])))
    return out
