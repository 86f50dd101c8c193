"""Colour emoji: 32×32 RGB Twemoji in the nine Unicode emoji groups, shipped as emoji.npz.

Built once by `python -m generators.datasets.build_emoji` from the npm package emoji-datasource-twitter;
read here offline, without pickle. Held-out rule as for every bundled set: index % 10 == 0.
Twemoji graphics by Twitter, Inc. and other contributors, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/),
composited onto white and resized.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..data import Dataset, split_indices
from ..errors import EngineError

EMOJI_NPZ = Path(__file__).with_name("emoji.npz")
IMAGE_SIZE = 32
# the Unicode emoji groups (CLDR order), the class labels 0–8
EMOJI_GROUPS = ("Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
                "Activities", "Objects", "Symbols", "Flags")


@lru_cache(maxsize=1)
def _arrays(path: str = str(EMOJI_NPZ)) -> dict:
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    if tuple(a["groups"].tolist()) != EMOJI_GROUPS:
        raise EngineError("{name}: its groups {groups} are not EMOJI_GROUPS", name=Path(path).name,
                          groups=a["groups"].tolist())
    x, y = a["x"], a["y"]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3) or y.shape != (len(x),):
        raise EngineError("{name}: expected uint8 N×{size}×{size}×3 images and N labels", name=Path(path).name,
                          size=IMAGE_SIZE)
    return a


def emoji_info() -> dict:
    """Where the images come from: package, version, licence, attribution, counts (the build's summary)."""
    return json.loads(str(_arrays()["info"]))


def emoji_names(split: str = "all") -> list[str]:
    """The emoji's names (e.g. 'grinning face') in the split's order, beside `load_emoji(split)`."""
    names = _arrays()["names"]
    return [str(names[i]) for i in split_indices(len(names), split)]


def load_emoji(split: str = "train"):
    """The emoji as float N×3×32×32 in [0, 1] (white background), labels 0–8 = EMOJI_GROUPS; held-out =
    index % 10 == 0."""
    a = _arrays()
    idx = split_indices(len(a["x"]), split)
    x = torch.from_numpy(a["x"][idx]).permute(0, 3, 1, 2).float().div_(255.0).contiguous()   # (N, 3, 32, 32)
    return Dataset("emoji", "image", x, torch.from_numpy(a["y"][idx].astype(np.int64)),
                   num_classes=len(EMOJI_GROUPS))
