"""The autoregressive family (placeholder until its issue lands)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Family


@dataclass(frozen=True)
class AutoregressiveConfig:
    pass


class Autoregressive(Family):
    name: ClassVar[str] = "autoregressive"
    Config: ClassVar[type] = AutoregressiveConfig

    @classmethod
    def config_for(cls, dataset: str, **overrides):
        raise NotImplementedError("the autoregressive family is not built yet")
