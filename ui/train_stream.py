"""The Train tab's engine side: a session's `Run` pointed at a `TrainRun` (`begin`), advanced in GPU chunks while
Start streams (`chunks`), or a few steps on the CPU here (`advance`: Step once), and a run ended or freed.

A chunk is `generators.run.train_chunk`, a GPU call of at most CHUNK_S seconds: on a ZeroGPU Space it runs in a
forked worker on the GPU and gives the run back as CPU tensors, so Pause, Stop, Step once, Download and Explore
work on it between chunks as everywhere else; a chunk that ZeroGPU refuses (quota, no GPU) runs here on the CPU,
and so does the rest of the run, the status line saying why. Without ZeroGPU a chunk runs in this process (on a
dedicated GPU or the CPU)."""
from __future__ import annotations

import gc
import os
import time
import traceback
import uuid

import gradio as gr
import torch

from generators import device as dev
from generators.base import make_generator
from generators.data import Dataset
from generators.run import UPDATE_S as RUN_UPDATE_S
from generators.run import TrainRun, advance as advance_run, clear_stop, request_stop, train_chunk
from generators.threads import thread_threads

from . import common as C
from . import i18n as I
from .train_slots import RUN_LIMIT_S
from .train_views import Run, keep_frame

UPDATE_S = RUN_UPDATE_S      # the page is updated this often while a run streams (generators/run.py)
CHUNK_S = 20.0               # seconds of training per GPU call (ZeroGPU's quota is spent per call)
# a cap on a chunk's steps: the tests make chunks short to see a run cross several (None: CHUNK_S decides)
CHUNK_STEPS = int(os.environ["LATENT_LAB_CHUNK_STEPS"]) if os.environ.get("LATENT_LAB_CHUNK_STEPS") else None


def begin(r: Run, model, data: Dataset, *, family: str, steps: int, batch: int, lr, seed: int, every: int,
          start_step: int = 0, optimizers=None) -> None:
    """Point the session at a new TrainRun of `model` (nothing runs yet); a continued model counts on from its
    step with its saved state (`optimizers`)."""
    r.family = family
    if not start_step:
        r.run_id += 1
        r.timelapse = []
    n_samples = 256 if data.kind == "points" else 16
    r.train = TrainRun.start(model, data, steps=steps, batch_size=batch, seed=seed, lr=lr, sample_every=every,
                             n_samples=n_samples, state=optimizers)
    r.stop, r.phase, r.samples, r.rate, r.resume = False, "ready", None, 0.0, False
    r.cpu_reason, r.gpu_seconds = None, 0.0
    r.token = r.token or uuid.uuid4().hex
    r.real = data.x[torch.randperm(len(data), generator=make_generator(seed))[:500]] if data.kind == "points" else None
    _sync(r)


def _sync(r: Run) -> None:
    """The Run's view fields from its TrainRun (after a chunk the TrainRun is a new object, on the CPU)."""
    t = r.train
    r.model, r.optimizers, r.dataset = t.model, t.state, t.dataset
    r.step, r.total = t.state.step, t.total


def _apply(r: Run, u: dict) -> None:
    """One update of `advance` into the session: step, pace, new curve points, a preview."""
    r.step, r.total, r.rate, r.device = u["step"], u["total"], u["rate"], u["device"]
    r.history += [(r.run_id, f"run {r.run_id}: {k}", step, v) for step, k, v in u["points"]]
    for step, samples in u["previews"]:
        r.samples, r.previews = samples, r.previews + 1
        keep_frame(r, step, samples)


def chunks(r: Run):
    """Start's stream: the run advanced chunk by chunk until it ends, is paused or stopped (r.stop, and the stop
    token that reaches a chunk in another process) or reaches RUN_LIMIT_S; yields `r` after every update. Faults
    free the run and say so (its model would otherwise stay referenced)."""
    clear_stop(r.token)
    try:
        while r.train is not None and not r.train.done and not r.stop and r.phase == "running":
            if r.train.elapsed > RUN_LIMIT_S:
                r.phase = "stopped (time limit)"
                return
            yield from _one_chunk(r)
        if r.train is not None and r.train.done:
            _finish(r, "finished")
    except Exception as e:
        _fault(r, e)
    finally:
        clear_stop(r.token)


def _one_chunk(r: Run):
    refused: list[str] = []
    on_gpu = dev.ZEROGPU and r.cpu_reason is None
    t0 = time.monotonic()
    if on_gpu:
        it = train_chunk(r.train, CHUNK_S, r.token, CHUNK_STEPS, on_refusal=refused.append)
    else:                                     # here: on a dedicated GPU or the CPU
        it = train_chunk.here(r.train, CHUNK_S, r.token, CHUNK_STEPS)
    for u in it:
        if refused and r.cpu_reason is None:
            r.cpu_reason, on_gpu = refused[0], False
        if "run" in u:                        # the run trained on, back on the CPU
            if r.stop:                        # stopped: its model stays (Download, Explore); it cannot go on
                r.model, r.optimizers = u["run"].model, u["run"].state
            else:
                r.train = u["run"]
                _sync(r)
        elif not r.stop:                      # the page said "stopped" at a step: the steps the chunk took before
            _apply(r, u)                      # it saw the request stay off the status line and the curve
        yield r
    if on_gpu:
        r.gpu_seconds += time.monotonic() - t0


def pull(r, it):
    """The stream's next update, computed on this worker thread with the Train tab's torch threads (a chunk that
    runs here trains with C.TRAIN_THREADS; requests keep their one thread, app.py), holding the run."""
    with r.busy, thread_threads(C.TRAIN_THREADS):
        return next(it, None)


def close_stream(r) -> None:
    """A Start that was cancelled (a closed tab, an API caller's cancel) leaves its stream with an update possibly
    still being computed on a worker thread: wait for it (its chunk was asked to stop at its next step), then close
    the stream there, so the next Start or Step trains the run alone."""
    if r.stream is not None:
        with r.busy:
            stream, r.stream = r.stream, None
            stream.close()


def advance(r: Run, max_steps: int | None = None):
    """Steps run here on the CPU, in this thread (Step once, the tests): `r`'s run trained on for `max_steps` (to
    its end when None), yielding `r` after each update."""
    try:
        with thread_threads(C.TRAIN_THREADS):
            for u in advance_run(r.train, steps=max_steps):
                _apply(r, u)
                if u.get("end") == "finished":
                    _finish(r, "finished")
                yield r
    except Exception as e:
        _fault(r, e)


def _fault(r: Run, e: Exception):
    if isinstance(e, gr.Error):
        raise e
    if dev.is_out_of_memory(e):
        _free(r)
        raise I.error("Out of GPU memory: the run was stopped and its memory freed. "
                      "Try a smaller batch or model.") from None
    # any fault inside a step: tell this user, free the run, the next one works. The loop counts a step before it
    # computes it, so a run here knows the failing one; a chunk elsewhere is known up to its last update
    step = r.train.state.step if r.train is not None and r.train.state.step > r.step else r.step + 1
    _free(r, "error")
    traceback.print_exception(e)         # the server's log keeps what went wrong; the visitor gets a sentence
    raise I.error(f"The run failed at step {step}: it was stopped and its memory freed (the server's log says why). "
                  "Press Start to begin a new run.") from None


def pause_run(r: Run) -> None:
    """Ask the running chunk to end after its current step; the stream then shows the run paused."""
    if r.train is not None and r.token:
        request_stop(r.token)


def _finish(r: Run, phase: str) -> None:
    """The run ends (finished, stopped, reset): its model stays for Download and Explore; Start makes a new run."""
    if phase in ("stopped", "idle") and r.token and r.train is not None:
        request_stop(r.token)                 # a chunk still running ends at its next step
    r.train = None
    r.phase = phase
    if r.model is not None:
        r.model.eval()


def _free(r: Run, why: str = "out of memory") -> None:
    r.train = r.model = r.samples = r.optimizers = None
    r.phase = f"error: {why}"
    gc.collect()
    dev.free_memory()
