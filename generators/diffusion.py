"""The diffusion family (placeholder until its issue lands)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Family


@dataclass(frozen=True)
class DiffusionConfig:
    pass


class Diffusion(Family):
    name: ClassVar[str] = "diffusion"
    Config: ClassVar[type] = DiffusionConfig

    @classmethod
    def config_for(cls, dataset: str, **overrides):
        raise NotImplementedError("the diffusion family is not built yet")
