"""Latent Lab's engine: generative model families, checkpoints, data, training and metrics.

    import generators
    gan = generators.load("gan-mnist")                  # or a family name, or a path
    imgs = gan.sample(16, generator=generators.make_generator(0), labels=3)
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch

from .autoregressive import Autoregressive
from .base import (CHECKPOINT_DIR, CheckpointError, Family, LatentSpec, check_seed, checkpoint_paths,
                   clean_stale_temp_files, config_from_json, load_state_into, make_generator, read_meta,
                   read_safetensors, resolve_device, save_checkpoint)
from .diffusion import Diffusion
from .errors import EngineError
from .gan import GAN
from .gaussian import Gaussian
from .vae import VAE

REGISTRY: dict[str, type[Family]] = {"gan": GAN, "vae": VAE, "diffusion": Diffusion, "autoregressive": Autoregressive,
                                     "gaussian": Gaussian}
DEFAULT_CHECKPOINT = {"gan": "gan-mnist", "vae": "vae-mnist", "diffusion": "diffusion-mnist",
                      "autoregressive": "autoregressive-names", "gaussian": "gaussian-8gaussians"}

__all__ = ["REGISTRY", "DEFAULT_CHECKPOINT", "load", "build", "save_checkpoint", "make_generator", "check_seed",
           "resolve_device", "CheckpointError", "EngineError", "Family", "LatentSpec", "resolve_checkpoint",
           "shipped_checkpoints"]


def get_family(name: str) -> type[Family]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise EngineError("unknown family {name!r} (use {options})", name=name, options=", ".join(REGISTRY)) from None


def build(family: str, dataset: str = "mnist", *, seed: int | None = None, **overrides) -> Family:
    """A fresh, untrained model of `family` shaped for `dataset`; `overrides` set config fields.
    With `seed`, the initial weights come from that seed (reproducible runs)."""
    cls = get_family(family)
    if str(dataset).lower().endswith(".zip") and "num_classes" in {f.name for f in dataclasses.fields(cls.Config)}:
        overrides = {"num_classes": 0, **overrides}      # a user's images come without classes
    model = cls(cls.config_for(dataset, **overrides))
    if seed is not None:
        model.init_weights(make_generator(seed))
    return model


def shipped_checkpoints() -> list[str]:
    return sorted(p.stem for p in CHECKPOINT_DIR.glob("*.safetensors"))


def resolve_checkpoint(name_or_path: str | os.PathLike) -> Path:
    """A family name, a shipped checkpoint name (`gan-mnist`) or a path → the weights path."""
    s = str(name_or_path)
    if s in REGISTRY:
        s = DEFAULT_CHECKPOINT[s]
    is_path = os.sep in s or "/" in s or s.endswith((".safetensors", ".json")) or Path(s).exists()
    base = Path(s) if is_path else CHECKPOINT_DIR / s
    wpath, _ = checkpoint_paths(base)
    if not wpath.exists():
        if is_path:
            raise CheckpointError("no checkpoint at {path}", path=str(wpath))
        shipped = shipped_checkpoints()
        if not shipped:
            raise CheckpointError("unknown checkpoint {name!r} (shipped: none)", name=s)
        raise CheckpointError("unknown checkpoint {name!r} (shipped: {options})", name=s, options=", ".join(shipped))
    return wpath


def load(name_or_path: str | os.PathLike, device: str | torch.device = "auto", *,
         family: str | None = None, with_extra: bool = False):
    """A ready model (eval mode, on `device`) from a shipped name, a family name or a path.

    Never unpickles: weights come from safetensors, the architecture from the JSON config.
    `family` (optional) refuses a checkpoint of another family. With `with_extra`, also returns the
    extra tensors saved beside the weights (optimizer state, for resuming).
    """
    wpath = resolve_checkpoint(name_or_path)
    _, cpath = checkpoint_paths(wpath)
    for p in (wpath, cpath):
        clean_stale_temp_files(p)          # a save killed mid-write leaves only its temp file: tidy it
    meta = read_meta(cpath)
    fam = meta.get("family")
    if fam not in REGISTRY:
        raise CheckpointError("{name}: unknown family {family!r}", name=cpath.name, family=fam)
    if family is not None and fam != family:
        raise CheckpointError("{name} is a {family} checkpoint, not {other}", name=wpath.name, family=fam, other=family)
    cls = REGISTRY[fam]
    config = config_from_json(cls.Config, meta.get("config"))
    tensors = read_safetensors(wpath)
    model = cls(config)
    load_state_into(model, tensors, wpath.name)
    model.meta = meta
    model.checkpoint_path = wpath
    model = model.to(resolve_device(device)).eval()
    if with_extra:
        return model, {k[len("extra."):]: v for k, v in tensors.items() if k.startswith("extra.")}
    return model
