"""The family contract, checkpoints (safetensors + JSON, never pickle), devices and image helpers."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from .errors import CheckpointError, EngineError  # noqa: F401 (long imported from here)
from .images import gif_bytes, make_grid, png_bytes, slerp, to_uint8, upscale  # noqa: F401 (long imported from here)

FORMAT_VERSION = 1
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
MAX_SEED = 2**63 - 1
MAX_HEADER_BYTES = 16 * 1024 * 1024      # a safetensors header larger than this is refused
MAX_CHECKPOINT_BYTES = 512 * 1024 * 1024  # no shipped or uploaded model is near this

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
           "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool, "F64": torch.float64}
_DTYPE_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1, "F64": 8}


# ----------------------------------------------------------------------------- the contract
@dataclass(frozen=True)
class LatentSpec:
    shape: tuple[int, ...]   # per sample, e.g. (64,) for GAN/VAE
    kind: str                # "gaussian" | "tokens"
    description: str         # shown in the UI


def train_field(default, label: str, *, lo: float | None = None, hi: float | None = None, choices=None,
                zero_is_default: bool = True):
    """A config field that the Train tab shows: its label and its range (numbers) or choices. A number's 0 stands
    for "the family's default for the dataset" unless `zero_is_default` is False (then the field's default shows)."""
    return dataclasses.field(default=default, metadata={"train": dict(
        label=label, lo=lo, hi=hi, choices=tuple(choices) if choices is not None else None,
        zero_is_default=zero_is_default)})


def train_fields(config_cls) -> dict[str, dict]:
    """{field name: its train_field metadata (+ "type": int | float | str, "default")} for a family's config."""
    out = {}
    for f in dataclasses.fields(config_cls):
        if "train" in f.metadata:
            typ = {"int": int, "float": float, "str": str}.get(f.type, f.type)
            out[f.name] = {**f.metadata["train"], "type": typ, "default": f.default}
    return out


class Family(nn.Module):
    """Base of every generative family: a config dataclass, networks, a loss and samplers.

    Subclasses set `name`, `Config`, `NETWORKS` and implement `latent_spec`, `sample`, `configure_optimizers`
    and `losses` (the loop in train.py does the optimising). `sample` returns images (float N×C×H×W in [0,1]),
    points (float N×2) or a list of strings, depending on `self.data_kind`.
    """

    # -- the descriptor: what every front-end reads (with the config's train_field metadata)
    name: ClassVar[str] = ""                 # the registry key; also the tab module's name: ui/<name>.py
    TITLE: ClassVar[str] = ""                # the tab's title ("GAN")
    DEFAULT_DATASET: ClassVar[str] = "mnist"  # the CLI's `train --dataset` default
    Config: ClassVar[type] = object
    SAMPLE_OPTIONS: ClassVar[dict] = {}   # CLI flags of `sample`: {name: (type, default, help)}
    NETWORKS: ClassVar[tuple[str, ...]] = ()   # attributes holding the trained networks (one DDP wrapper each)

    def __init__(self, config):
        super().__init__()
        self.config = config

    # -- what a family provides
    @property
    def data_kind(self) -> str:
        """"image" | "points" | "text" | "values" (1-D numbers)."""
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        return int(getattr(self.config, "num_classes", 0) or 0)

    def latent_spec(self) -> LatentSpec:
        raise NotImplementedError

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """(channels, height, width) of the images the model makes (1×28×28 digits, 3×32×32 emoji); None for
        points, text and numbers."""
        return None

    def sample(self, n: int, *, generator: torch.Generator, latents=None, labels=None, **options):
        raise NotImplementedError

    def configure_optimizers(self, lr: float | None = None) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def losses(self, batch, *, generator: torch.Generator):
        """Yields (optimiser name, loss) phases, each after the previous one's step; returns the floats to report."""
        raise NotImplementedError

    def decoder_output(self, z: torch.Tensor, y_onehot: torch.Tensor | None = None) -> torch.Tensor:
        """The latent → output map as plain tensor ops (what `export` writes to ONNX for the browser); families
        without one (a sampler loop, a token loop) leave it unimplemented."""
        raise NotImplementedError

    RUN_DEFAULTS: ClassVar[dict] = {}     # data kind → recipe.RunDefaults tuned for 2 CPU cores (recipe.run_defaults)

    @classmethod
    def config_for(cls, dataset: str, **overrides):
        """A config shaped for `dataset` (image / points / text), with `overrides` applied."""
        raise NotImplementedError

    def prepare_data(self, dataset) -> tuple[torch.Tensor, ...]:
        """The dataset as tensors with a common first dimension; the loop draws batches from them."""
        if dataset.kind != self.data_kind:
            raise EngineError("this {family} model is for {kind} data, {name!r} is {other}", family=self.name,
                              kind=self.data_kind, name=dataset.name, other=dataset.kind)
        if dataset.kind == "image" and self.num_classes:
            return dataset.x, dataset.y
        return (dataset.x,)

    def preview(self, n: int, *, generator: torch.Generator):
        """Samples from fixed noise for the training view (cheap settings where sampling is costly)."""
        labels = torch.arange(n) % self.num_classes if self.num_classes else None
        return self.sample(n, generator=generator, labels=labels)

    @torch.no_grad()
    def init_weights(self, generator: torch.Generator) -> None:
        """Re-draw every weight from `generator` (PyTorch's default schemes), so a training seed fixes the
        initial model without touching the global RNG. Families with their own scheme override this."""
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
                w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
                nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
                if m.bias is not None:
                    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(w)
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                    nn.init.uniform_(m.bias, -bound, bound, generator=generator)
            elif isinstance(m, nn.Embedding):
                w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
                nn.init.normal_(w, generator=generator)
            elif hasattr(m, "_u") and hasattr(m, "_v"):      # spectral norm's power-iteration vectors
                for v in (m._u, m._v):
                    v.copy_(nn.functional.normalize(torch.randn(v.shape, generator=generator), dim=0, eps=m.eps))
            elif isinstance(m, (nn.LSTM, nn.GRU, nn.RNN)):
                bound = 1 / math.sqrt(m.hidden_size)
                for p in m.parameters():
                    nn.init.uniform_(p, -bound, bound, generator=generator)

    # -- shared helpers
    @property
    def device(self) -> torch.device:
        p = next(self.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """The weights' float type: float32 as shipped; float64 where a test needs round-off far below float32's."""
        p = next(self.parameters(), None)
        return p.dtype if p is not None else torch.float32

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def derived_meta(self) -> dict:
        """What `python -m generators export` computes from these weights once and stores in the checkpoint's
        JSON, so loading skips it (the GAN's GANSpace directions, the VAE's fitted prior): {key: JSON value}."""
        return {}

    def draw_latents(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n latents from the prior N(0, I), drawn from `generator` on the model's device."""
        return torch.randn((n, *self.latent_spec().shape), generator=generator, device=self.device)

    def sample_inputs(self, n: int, generator: torch.Generator, latents=None, labels=None):
        """(z, y) of a sample call: the given latents and labels checked, else z from the prior and, for a
        conditional model, a random class each (both drawn from `generator`)."""
        z = self.draw_latents(n, generator) if latents is None else self.check_latents(latents, n)
        y = self.check_labels(labels, n)
        if y is None and self.num_classes:
            y = torch.randint(0, self.num_classes, (n,), generator=generator, device=self.device)
        return z, y

    def check_latents(self, latents, n: int) -> torch.Tensor:
        shape = self.latent_spec().shape
        z = torch.as_tensor(latents, dtype=self.dtype, device=self.device)
        if tuple(z.shape) != (n, *shape):
            raise EngineError("latents must have shape {want}, got {got}", want=(n, *shape), got=tuple(z.shape))
        if not bool(torch.isfinite(z).all()):
            raise EngineError("latents must be finite numbers")
        return z

    def check_labels(self, labels, n: int) -> torch.Tensor | None:
        """None, an int, or a sequence of n ints in [0, num_classes) → LongTensor (n,) on the device."""
        if labels is None:
            return None
        if self.num_classes == 0:
            raise EngineError("this {family} model is unconditional: it takes no label", family=self.name)
        t = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        if t.numel() == 1:
            t = t.expand(n)
        if t.numel() != n:
            raise EngineError("got {n} labels for {m} samples", n=t.numel(), m=n)
        if bool(((t < 0) | (t >= self.num_classes)).any()):
            raise EngineError("label must be in 0..{hi}", hi=self.num_classes - 1)
        return t.to(self.device)


def check_whole_numbers(config, bounds) -> None:
    """Each (field, lo, hi): the config's field must be an int in lo..hi (hostile configs cannot take memory)."""
    for k, lo, hi in bounds:
        v = getattr(config, k)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise EngineError("{name} must be a whole number in {lo}..{hi}", name=k, lo=lo, hi=hi)


def check_reals(config, bounds) -> None:
    """Each (field, lo, hi): the config's field must be a finite number in lo..hi."""
    for k, lo, hi in bounds:
        v = getattr(config, k)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
            raise EngineError("{name} must be in {lo:g}..{hi:g}", name=k, lo=lo, hi=hi)


def check_choices(config, options) -> None:
    """Each (field, allowed values): the config's field must be one of them."""
    for k, allowed in options:
        if getattr(config, k) not in allowed:
            raise EngineError("{name} must be one of {options}, not {value!r}", name=k,
                              options=", ".join(map(str, allowed)), value=getattr(config, k))


# ----------------------------------------------------------------------------- devices and seeds
from .device import resolve_device  # noqa: E402  (the one owner of devices; re-exported where it always was)


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer, float)):
        raise EngineError("seed must be a whole number, got {type}", type=type(seed).__name__)
    if isinstance(seed, float):
        if not math.isfinite(seed) or seed != int(seed):
            raise EngineError("seed must be a whole number")
        seed = int(seed)
    if not 0 <= int(seed) <= MAX_SEED:
        raise EngineError("seed must be in 0..{max}", max=MAX_SEED)
    return int(seed)


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A private RNG for one request: never touch the global one (requests run concurrently)."""
    g = torch.Generator(device=resolve_device(device))
    g.manual_seed(check_seed(seed))
    return g


# ----------------------------------------------------------------------------- checkpoints
def _config_to_json(config) -> dict:
    d = dataclasses.asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def config_from_json(cls, data: dict):
    """Rebuild a config dataclass, refusing unknown fields (a typo must not pass silently)."""
    if not isinstance(data, dict):
        raise CheckpointError("config must be a JSON object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise CheckpointError("config has unknown field(s) {fields}", fields=", ".join(unknown))
    kw = {}
    for k, v in data.items():
        default = fields[k].default
        if isinstance(default, tuple) and isinstance(v, list):
            v = tuple(v)
        kw[k] = v
    try:
        return cls(**kw)
    except EngineError as e:                 # a config check's own message: kept whole, so a UI renders it too
        raise CheckpointError("bad config: {why}", why=e) from None
    except (TypeError, ValueError) as e:
        raise CheckpointError("bad config: {why}", why=str(e)) from None


def _temp_prefix(path: Path) -> str:
    """Temp files of an atomic write to `path` are `.<name>.<writer pid>.<random>.tmp` beside it."""
    return f".{path.name}."


def clean_stale_temp_files(path: Path, max_age_s: float = 3600.0) -> list[Path]:
    """Remove temp files left beside `path` by atomic writes that were killed (kill -9, power loss): those of
    a writer process that no longer runs, or older than `max_age_s`. A live writer's temp file is kept."""
    removed = []
    try:
        candidates = list(path.parent.glob(_temp_prefix(path) + "*.tmp"))
    except OSError:
        return removed
    now = time.time()
    for tmp in candidates:
        middle = tmp.name[len(_temp_prefix(path)):-len(".tmp")]
        pid = middle.split(".", 1)[0]
        try:
            alive = pid.isdigit() and _pid_alive(int(pid))
            if not alive or now - tmp.stat().st_mtime > max_age_s:
                tmp.unlink()
                removed.append(tmp)
        except OSError:                    # gone already, or a read-only folder: nothing to clean
            pass
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                # another user's live process
        return True
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it: a reader (or a crash at any moment)
    sees the old file or the new one, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)                   # mkstemp makes 0600; checkpoints are meant to be shared
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def checkpoint_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """`x`, `x.safetensors` or `x.json` → (weights, config) paths."""
    p = Path(path)
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


def save_checkpoint(model: Family, path, *, dataset: str, steps: int = 0, metrics: dict | None = None,
                    extra: dict[str, torch.Tensor] | None = None, info: dict | None = None) -> Path:
    """Write `<path>.safetensors` (+ `.json`) atomically: weights first, then the config that names them.
    `extra` tensors (raw weights, optimizer state: for resume) are stored beside them under the prefix "extra."."""
    from safetensors.torch import save

    wpath, cpath = checkpoint_paths(path)
    for p in (wpath, cpath):
        clean_stale_temp_files(p)          # leftovers of an earlier save that was killed mid-write
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    for k, v in (extra or {}).items():
        tensors["extra." + k] = v.detach().to("cpu").contiguous()
    meta = {
        "format_version": FORMAT_VERSION,
        "family": model.name,
        "config": _config_to_json(model.config),
        "dataset": dataset,
        "steps": int(steps),
        "metrics": metrics or {},
        **(info or {}),
    }
    blob = save(tensors, metadata={"family": model.name})
    _atomic_write(wpath, blob)
    write_meta(cpath, meta)
    return wpath


def write_meta(cpath: Path, meta: dict) -> None:
    """A checkpoint's JSON, atomically, in the one format every writer uses."""
    _atomic_write(cpath, (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Parse a safetensors file after checking its header ourselves: bounded size, known dtypes, offsets in range."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise CheckpointError("cannot read {name}: {why}", name=path.name, why=e.strerror) from None
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError("{name} is {size} bytes, over the {limit}-byte limit", name=path.name, size=size,
                              limit=MAX_CHECKPOINT_BYTES)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError("{name} is not a safetensors file (too short)", name=path.name)
        (n,) = struct.unpack("<Q", head)
        if n > MAX_HEADER_BYTES or n + 8 > size:
            raise CheckpointError("{name} is not a safetensors file (bad header length {n})", name=path.name, n=n)
        raw = f.read(n)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):    # RecursionError: "[[[[…" nesting
        raise CheckpointError("{name} is not a safetensors file (header is not JSON)", name=path.name) from None
    if not isinstance(header, dict):
        raise CheckpointError("{name} is not a safetensors file (header is not an object)", name=path.name)
    data_len = size - 8 - n
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or entry.get("dtype") not in _DTYPES:
            raise CheckpointError("{name}: tensor {tensor!r} has an unsupported dtype", name=path.name, tensor=name)
        shape, offs = entry.get("shape"), entry.get("data_offsets")
        if (not isinstance(shape, list) or not all(isinstance(s, int) and 0 <= s < 2**40 for s in shape)
                or not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) for o in offs)):
            raise CheckpointError("{name}: tensor {tensor!r} has a malformed entry", name=path.name, tensor=name)
        nbytes = math.prod(shape) * _DTYPE_SIZE[entry["dtype"]]
        if not (0 <= offs[0] <= offs[1] <= data_len) or offs[1] - offs[0] != nbytes:
            raise CheckpointError("{name}: tensor {tensor!r} declares {n} bytes that the file does not hold",
                                  name=path.name, tensor=name, n=nbytes)
    from safetensors.torch import load

    try:
        with open(path, "rb") as f:
            return load(f.read())
    except Exception as e:  # safetensors raises its own error types
        raise CheckpointError("{name} is corrupt: {why}", name=path.name,
                              why=str(e).splitlines()[0] if str(e) else type(e).__name__) from None


def read_meta(cpath: Path) -> dict:
    try:
        if cpath.stat().st_size > 1024 * 1024:
            raise CheckpointError("{name} is too large for a config", name=cpath.name)
        meta = json.loads(cpath.read_text())
    except FileNotFoundError:
        raise CheckpointError("config file {name} is missing", name=cpath.name) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):   # RecursionError: "[[[[…" nesting
        raise CheckpointError("{name} is not valid JSON", name=cpath.name) from None
    if not isinstance(meta, dict):
        raise CheckpointError("{name} must hold a JSON object", name=cpath.name)
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError("{name}: unsupported format_version {version!r}", name=cpath.name,
                              version=meta.get("format_version"))
    return meta


def load_state_into(model: nn.Module, tensors: dict[str, torch.Tensor], source: str) -> None:
    """Check keys, shapes, dtypes and finiteness, then copy into `model` (which is left unchanged on error)."""
    own = model.state_dict()
    weights = {k: v for k, v in tensors.items() if not k.startswith("extra.")}
    missing, unexpected = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
    if len(missing) > 3:
        raise CheckpointError("{name}: missing tensor(s) {tensors} …", name=source, tensors=", ".join(missing[:3]))
    if missing:
        raise CheckpointError("{name}: missing tensor(s) {tensors}", name=source, tensors=", ".join(missing))
    if len(unexpected) > 3:
        raise CheckpointError("{name}: unexpected tensor(s) {tensors} …", name=source,
                              tensors=", ".join(unexpected[:3]))
    if unexpected:
        raise CheckpointError("{name}: unexpected tensor(s) {tensors}", name=source, tensors=", ".join(unexpected))
    for k, v in weights.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise CheckpointError("{name}: tensor {tensor} has shape {shape}, expected {want}", name=source, tensor=k,
                                  shape=tuple(v.shape), want=tuple(own[k].shape))
        if v.dtype in (torch.float16, torch.bfloat16) and own[k].dtype == torch.float32:
            v = weights[k] = v.float()     # stored at half size (the emoji checkpoints), computed in float32
        if v.dtype != own[k].dtype:
            raise CheckpointError("{name}: tensor {tensor} has dtype {dtype}, expected {want}", name=source, tensor=k,
                                  dtype=str(v.dtype), want=str(own[k].dtype))
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise CheckpointError("{name}: tensor {tensor} holds NaN or Inf", name=source, tensor=k)
    model.load_state_dict(weights)


def fingerprint(module: nn.Module) -> str:
    """sha256 of a module's state: what is stored in a checkpoint's JSON for these weights says which it was
    computed from, and is ignored for any other."""
    import hashlib

    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()
