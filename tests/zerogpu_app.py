"""Serve app.py as a Hugging Face ZeroGPU Space serves it, on this machine's CPU: the real `spaces` package with
SPACES_ZERO_GPU=true, its device API played by tests/zerogpu.py's DeviceAPIStub.

    SPACES_ZERO_GPU=true SPACES_ZERO_DEVICE_API_URL=http://127.0.0.1:<stub> python tests/zerogpu_app.py PORT

(tests/zerogpu.py's `zerogpu_app` sets these and the other variables the package reads.) Everything `spaces` does
on a Space happens here: torch is patched in this (main) process, `.to("cuda")` makes fake tensors, launch()
packs them, every @spaces.GPU call asks the device API for a GPU and runs in a forked worker, arguments, results
and yields cross by pickle. Only the two steps that need a real GPU inside the worker are replaced (see below).
GET /zerogpu-emulation says what this process saw (see `emulation_report`).
"""
from __future__ import annotations

import importlib.metadata
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPACES_VERSION = "0.51.3"        # the package read to write this emulation (what its workers and patches do)

# Counters in shared memory: @spaces.GPU workers are forks of this process, and what they count must reach it.
_fork = multiprocessing.get_context("fork")
COUNTS = {name: _fork.Value("q", 0) for name in (
    "cuda_init_attempts_main",      # real CUDA init reached in this process: on a Space, the call fails
    "cuda_init_attempts_workers",   # ... inside a GPU call (after spaces' unpatch): on a Space, a real GPU's init
    "gpu_inits",                    # worker start-ups that would have attached the GPU (spaces.zero.torch.init)
    "gpu_moves",                    # ... and moved the packed tensors onto it (spaces.zero.torch.move)
    "gpu_move_bytes_skipped",       # what those moves would have copied: here those tensors stay empty
)}
MAIN_PID = os.getpid()


def _count(name: str, n: int = 1) -> None:
    with COUNTS[name].get_lock():
        COUNTS[name].value += n


def _count_cuda_init() -> None:
    _count("cuda_init_attempts_main" if os.getpid() == MAIN_PID else "cuda_init_attempts_workers")


import torch  # noqa: E402  (after the counters: nothing above touches torch)

# The Space runs torch's CUDA build; CI runs the CPU build on purpose (a CUDA build is ~6 GB and minutes of
# install). These attributes are what the CUDA build has and the CPU build lacks, and nothing else is changed:
#  - `torch._C._cuda_init` (spaces' patching.py keeps it at import, to put back in its workers). It raises, as on
#    a CUDA build with no GPU, so work in a GPU call that needs real CUDA fails loudly, not quietly on the CPU;
#  - `torch.version.cuda`, a string (spaces' static.py calls `.startswith` on it at import);
#  - `torch.cuda._is_in_bad_fork`, the builtin `torch._C._cuda_isInBadFork` there: spaces sends it to a forked
#    process at import (patching.is_in_bad_fork), and the CPU build's, a lambda, cannot be pickled. Same answer;
#  - `torch.cuda._lazy_init` that reaches `torch._C._cuda_init`: the CPU build's stops before it with "Torch not
#    compiled with CUDA enabled", so a main-process CUDA init would never meet spaces' raiser (the error a
#    Space's visitors see, and what this harness counts). CUDA is never initialised here (not in the main
#    process, where spaces forbids it, nor in a GPU call, where `init` is a no-op), so the CUDA build's
#    `_lazy_init` always goes on to `_cuda_init`, which raises: that is all this one does.
NO_CUDA_MESSAGE = "no CUDA in this emulation"


def _no_cuda_init():
    _count_cuda_init()
    raise RuntimeError(NO_CUDA_MESSAGE)


def _cuda_is_in_bad_fork() -> bool:
    return False


def _cuda_lazy_init() -> None:
    torch._C._cuda_init()              # looked up at each call: spaces swaps it in the main process


torch._C._cuda_init = _no_cuda_init
for _module in (torch.cuda, torch.cuda.memory, torch.cuda.random):   # the two keep their own `from . import`
    _module._lazy_init = _cuda_lazy_init
torch.cuda._is_in_bad_fork = _cuda_is_in_bad_fork
torch.version.cuda = "12.8"

if importlib.metadata.version("spaces") != SPACES_VERSION:
    sys.exit(f"tests/zerogpu_app.py emulates spaces=={SPACES_VERSION}: found {importlib.metadata.version('spaces')} "
             "(read its spaces/zero/ and update this file)")

import spaces  # noqa: E402,F401  (patches torch in this process: SPACES_ZERO_GPU=true)
import spaces.zero.torch as zero_torch  # noqa: E402
from spaces.zero.torch import patching  # noqa: E402

if not torch.cuda.is_available():
    sys.exit("`import spaces` did not patch torch: is SPACES_ZERO_GPU=true set?")

# While patched, `torch._C._cuda_init` is spaces' own raiser (patching._cuda_init_raise): keep its message, and
# count the attempt, since a main-process CUDA init is the bug this harness exists to catch.
_spaces_cuda_init_raise = torch._C._cuda_init


def _counted_cuda_init_raise():
    _count_cuda_init()
    _spaces_cuda_init_raise()


torch._C._cuda_init = _counted_cuda_init_raise


# The two GPU steps of a worker's start-up (spaces/zero/wrappers.py `worker_init`: `torch.init(nvidia_uuid)` does
# a real CUDA init on the granted device, `torch.move()` copies the packed tensors onto it). With no GPU, they
# become no-ops that count their calls, and the work inside a GPU call runs on the CPU. Everything else
# (the grant, `client.allow`, `torch.unpatch()`, pickling, release) is the package's own code. Tensors the app
# moved to "cuda" in this process (packed at launch) are not moved anywhere: a GPU call that uses them computes
# with empty ones here, unlike on a Space; `gpu_move_bytes_skipped` in the report says when that happened.
def _gpu_init(nvidia_uuid: str) -> None:
    _count("gpu_inits")


def _gpu_move(callback=None) -> None:
    _count("gpu_moves")
    _count("gpu_move_bytes_skipped", zero_torch.size())


zero_torch.init = _gpu_init
zero_torch.move = _gpu_move

# What launch() packed (spaces' startup() → `torch.pack()`): tensors moved to "cuda" at import time, written to
# ZEROGPU_OFFLOAD_DIR to be moved onto each worker's GPU. None until launch.
PACKED: dict[str, int | None] = {"bytes": None}
_pack = zero_torch.pack


def _recorded_pack() -> int:
    PACKED["bytes"] = _pack()
    return PACKED["bytes"]


zero_torch.pack = _recorded_pack


def emulation_report() -> dict:
    """What this process saw of CUDA: GET /zerogpu-emulation."""
    return {**{name: v.value for name, v in COUNTS.items()},
            "cuda_aliases": len(patching.cuda_aliases),       # fake "cuda" tensors alive in this process
            "tensor_packs": len(patching.tensor_packs),
            "packed_bytes": PACKED["bytes"],
            "pid": os.getpid()}


def _exit_with_parent() -> None:
    """Ctrl-C this app when the process that started it is gone (a test run killed outright): the app has a
    process group of its own, and its GPU workers end only with it."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGINT)


def main(port: int) -> None:
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    import app

    # launch() builds the FastAPI app that serves (the `demo.app` made before launch is replaced), so the
    # report's route goes in through launch()'s own `app_kwargs` (FastAPI's `routes=`), ahead of Gradio's.
    report = Route("/zerogpu-emulation", lambda request: JSONResponse(emulation_report()), methods=["GET"])
    kwargs = dict(app.LAUNCH_KWARGS)
    app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
    app_kwargs["routes"] = [*app_kwargs.get("routes", []), report]
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    app.demo.launch(server_name="127.0.0.1", server_port=port, app_kwargs=app_kwargs, **kwargs)


if __name__ == "__main__":
    main(int(sys.argv[1]))
