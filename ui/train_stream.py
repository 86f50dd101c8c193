"""The Train tab's engine stream: a session's `Run` pointed at a model and the shared loop's event stream
(`begin`), the events pulled into it between page updates (`advance`), and a run ended or freed."""
from __future__ import annotations

import gc
import time

import gradio as gr
import torch

from generators.base import make_generator
from generators.data import Dataset
from generators.recipe import run_defaults
from generators.threads import thread_threads
from generators.train import TrainState, train

from . import common as C
from . import i18n as I
from .train_slots import RUN_LIMIT_S
from .train_views import Run, keep_frame

UPDATE_S = 0.5               # the page is updated at least this often while a run streams


def begin(r: Run, model, data: Dataset, *, family: str, steps: int, batch: int, lr, seed: int, every: int,
          start_step: int = 0, optimizers: dict | None = None) -> None:
    """Point the session at a model and a new engine event stream (nothing runs yet); a continued model
    counts on from `start_step` with its saved `optimizers`."""
    r.model, r.dataset, r.family = model, data, family
    if not start_step:
        r.run_id += 1
        r.timelapse = []
    r.step, r.total, r.rate, r.stop, r.phase, r.samples = start_step, start_step + steps, 0.0, False, "ready", None
    # a fresh run trains with its family's recipe for this kind of data (the CLI's default: warmup, schedule, EMA)
    r.optimizers = optimizers or TrainState(model, model.configure_optimizers(lr),
                                            recipe=run_defaults(model, data).recipe)
    r.resume = False
    r.device = str(model.device)
    r.real = data.x[torch.randperm(len(data), generator=make_generator(seed))[:500]] if data.kind == "points" else None
    n_samples = 256 if data.kind == "points" else 16
    r.events = train(model, data, steps=steps, batch_size=batch, lr=lr, seed=seed, sample_every=every,
                     n_samples=n_samples, time_limit=RUN_LIMIT_S, state=r.optimizers)


def advance(r: Run, max_steps: int | None = None):
    """Pull engine events into `r`, yielding after each preview or UPDATE_S seconds; stops after `max_steps`
    steps, at the end of the run, or when Stop sets `r.stop`. A CUDA out-of-memory frees the run.

    The events are computed with C.TRAIN_THREADS torch threads on the thread that pulls them; requests keep
    their one thread (app.py). The count is set once per stretch of events between two yields, not twice per
    step: Gradio may resume the stream on another worker thread after a yield, so it is set again after each."""
    last, done_steps = time.monotonic(), 0
    threads = thread_threads(C.TRAIN_THREADS)
    try:
        threads.__enter__()
        for ev in r.events:
            kind = ev["event"]
            if kind == "start":
                r.device, r.total = ev["device"], ev["total"]
            elif kind == "step":
                r.step, r.rate = ev["step"], ev["steps_per_s"]
                r.history += [(r.run_id, f"run {r.run_id}: {k}", ev["step"], float(v)) for k, v in ev["losses"].items()]
                done_steps += 1
            elif kind == "samples":
                r.samples, r.previews = ev["samples"], r.previews + 1
                keep_frame(r, ev["step"], ev["samples"])
            elif kind == "done":
                r.events, r.phase = None, "finished" if ev["stopped"] == "finished" else "stopped (time limit)"
                r.model.eval()
                threads.__exit__(None, None, None)
                yield r
                return
            if r.stop:
                break
            if kind == "samples" or time.monotonic() - last > UPDATE_S or (max_steps and done_steps >= max_steps):
                last = time.monotonic()
                threads.__exit__(None, None, None)      # the next stretch may run on another thread
                yield r
                threads.__enter__()
            if max_steps and done_steps >= max_steps:
                return
    except torch.cuda.OutOfMemoryError:
        _free(r)
        raise I.error("Out of GPU memory: the run was stopped and its memory freed. "
                      "Try a smaller batch or model.") from None
    except gr.Error:
        raise
    except Exception as e:             # any fault inside a step: tell this user, free the run, the next one works
        step = r.step
        _free(r, "error")
        msg = str(e).splitlines()[0][:200] if str(e) else ""
        raise I.error(f"The run failed at step {step + 1} ({type(e).__name__}{': ' + msg if msg else ''}); "
                      "it was stopped and its memory freed. Press Start to begin a new run.") from None
    finally:
        threads.__exit__(None, None, None)            # a no-op when already out (after a yield)
    if r.stop:
        _finish(r, "stopped")
        yield r


def _finish(r: Run, phase: str) -> None:
    if r.events is not None:
        try:
            r.events.close()
        except ValueError:             # still executing in the streaming thread: it will see r.stop
            pass
    r.events, r.phase = None, phase
    if r.model is not None:
        r.model.eval()


def _free(r: Run, why: str = "out of memory") -> None:
    if r.events is not None:
        try:
            r.events.close()
        except ValueError:             # still executing in another thread
            pass
    r.events = r.model = r.samples = None
    r.phase = f"error: {why}"
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
