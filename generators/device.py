"""Where work runs: the one owner of devices (STYLE.md §14, as accelerate's Accelerator and ZeroGPU's own split).

- **Interactive work** (slider renders, names and poems, the Gaussian tab, links, the Compare table from the
  shipped figures) runs on the CPU in the main process, always and everywhere: models live there, on the CPU.
- **Heavy work** (diffusion grids and trajectories, evaluation, training) runs in *GPU calls*, functions
  decorated with `gpu_call(duration=...)`:
  - on a Hugging Face ZeroGPU Space, a `spaces.GPU` call: a forked worker that gets a GPU slice for the call;
    its arguments, results and every value it yields cross by pickle (so they are CPU tensors, models, runs);
    a call refused before it starts (the visitor's quota spent, no GPU free, an illegal duration) runs on the
    CPU in this process instead, and the caller is told why;
  - with a dedicated CUDA GPU, on that GPU in this process; without one, on the CPU.
  Inside a call, `heavy_device()` says where to compute and `on(model, device)` puts a model there.
- No other module calls `torch.cuda` or picks a device; the CLI's `--device` goes through `resolve_device`.

`spaces` is imported here, before anything can initialise CUDA (its own check demands it); without
SPACES_ZERO_GPU=true nothing of it is used, and without the package nothing here needs it.
"""
from __future__ import annotations

import functools
import inspect
import os
import weakref

ZEROGPU = os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")
if ZEROGPU:
    import spaces  # noqa: F401  (patches torch for ZeroGPU: must come before any CUDA initialisation)

import torch  # noqa: E402

from .errors import EngineError  # noqa: E402

CPU = torch.device("cpu")
# What the visitor is told when a GPU call was refused and ran on the CPU (ui/i18n translates each sentence).
REFUSALS = {
    "quota": "Your GPU quota is used up for now, so this runs on the CPU.",
    "no_gpu": "No GPU was free, so this runs on the CPU.",
    "duration": "This needs more GPU time than one call may take, so it runs on the CPU.",
    "failed": "The GPU call failed, so this runs on the CPU.",
}


# ----------------------------------------------------------------------------- where this process computes
def in_gpu_call() -> bool:
    """This process is a ZeroGPU worker, forked for a GPU call (where the real CUDA device may be used)."""
    if not ZEROGPU:
        return False
    from spaces.zero import wrappers
    return bool(wrappers.forked)


def cuda_usable() -> bool:
    """A real CUDA device can be used here: never in ZeroGPU's main process, where `torch.cuda.is_available()`
    is a stand-in that says yes and any real CUDA initialisation raises."""
    if ZEROGPU and not in_gpu_call():
        return False
    return torch.cuda.is_available()


def heavy_device() -> torch.device:
    """Where a GPU call computes: the CUDA device when this process has a real one, else the CPU."""
    return torch.device("cuda") if cuda_usable() else CPU


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """A device name from a caller (the CLI's --device, `generators.load`): auto (CUDA where this process can use
    it, else the CPU), cpu, cuda, cuda:N."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return heavy_device()
    if device not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
        raise EngineError("unknown device {name!r} (use auto, cpu or cuda)", name=device)
    if str(device).startswith("cuda") and not cuda_usable():
        raise EngineError("device cuda asked for, but no CUDA GPU is available")
    return torch.device(device)


def describe(device: torch.device | str) -> str:
    """A device as the status lines show it: "cpu", "cuda" or "cuda (ZeroGPU)"."""
    name = torch.device(device).type
    return f"{name} (ZeroGPU)" if name == "cuda" and ZEROGPU else name


# ----------------------------------------------------------------------------- models on a device
_COPIES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def on(model: torch.nn.Module, device: torch.device | str) -> torch.nn.Module:
    """`model` on `device`: itself where it already is; else a copy there (the CPU original stays what the main
    process uses). A shipped, read-only model's copy is kept for the next call; a trained one's is made anew,
    since its weights change between calls."""
    device = torch.device(device)
    p = next(model.parameters(), None)
    if p is None or p.device == device:
        return model
    shipped = _is_shipped(model)
    if shipped and model in _COPIES and _COPIES[model].device == device:
        return _COPIES[model]
    import copy

    twin = copy.deepcopy(model).to(device)
    if shipped:
        _COPIES[model] = twin
    return twin


def _is_shipped(model) -> bool:
    from .base import CHECKPOINT_DIR

    path = getattr(model, "checkpoint_path", None)
    return path is not None and os.path.dirname(os.path.abspath(path)) == str(CHECKPOINT_DIR)


def amp_default(device: torch.device) -> bool:
    """bf16 autocast where the device supports it (CUDA with bf16); never on the CPU."""
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def free_memory() -> None:
    """Give cached GPU memory back after a run ends or fails (nothing to do on the CPU)."""
    if cuda_usable() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (timings on CUDA); a no-op on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError)


def ddp_device(requested: str) -> torch.device:
    """This rank's device under torchrun: its local CUDA device (set as current) unless the CPU is asked for or
    there is none."""
    if requested != "cpu" and cuda_usable():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return CPU


def ddp_backend(requested: str) -> str:
    return "nccl" if requested != "cpu" and cuda_usable() else "gloo"


def ddp_ids(device: torch.device) -> list[int] | None:
    """DistributedDataParallel's device_ids for a module on `device`."""
    if device.type != "cuda":
        return None
    return [torch.cuda.current_device() if device.index is None else device.index]


# ----------------------------------------------------------------------------- GPU calls
def gpu_call(duration):
    """Decorate a heavy function, sync or a sync generator, as a GPU call.

    `duration`: seconds of GPU to request, or a callable taking the function's arguments (ZeroGPU checks the
    visitor's quota against it before the call: measured costs, never its 60 s default). On ZeroGPU the call
    runs as `spaces.GPU(duration=...)`; refused there, it runs here on the CPU, and the caller's optional
    `on_refusal=` callback gets why (a key of REFUSALS). Elsewhere the function runs as it is. The undecorated
    function stays reachable as `.here`."""
    def wrap(fn):
        remote = fn
        if ZEROGPU:
            import spaces

            remote = spaces.GPU(fn, duration=duration)
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def streaming(*args, on_refusal=None, **kwargs):
                it = remote(*args, **kwargs)
                try:
                    first = next(it)
                except StopIteration:
                    return
                except Exception as e:                      # refused before it ran: the CPU takes it
                    if remote is fn or (why := refusal(e)) is None:
                        raise
                    if on_refusal is not None:
                        on_refusal(why)
                    yield from fn(*args, **kwargs)
                    return
                yield first
                yield from it
            wrapped = streaming
        else:
            @functools.wraps(fn)
            def call(*args, on_refusal=None, **kwargs):
                try:
                    return remote(*args, **kwargs)
                except Exception as e:
                    if remote is fn or (why := refusal(e)) is None:
                        raise
                    if on_refusal is not None:
                        on_refusal(why)
                    return fn(*args, **kwargs)
            wrapped = call
        wrapped.here = fn
        wrapped.duration = duration
        return wrapped
    return wrap


def refusal(error: BaseException) -> str | None:
    """Why ZeroGPU did not run a call (a key of REFUSALS), from the gr.Error its client raised (titled
    "ZeroGPU …"); None for any other error (the function's own, which the caller should see)."""
    title = str(getattr(error, "title", "") or "")
    if not title.startswith("ZeroGPU"):
        return None
    message = str(getattr(error, "message", "") or error)
    if "illegal duration" in title:
        return "duration"
    if "No GPU" in message or "queue" in title:
        return "no_gpu"
    if "quota" in title or "credits" in title:
        return "quota"
    return "failed"
