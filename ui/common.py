"""Shared UI pieces: server-side input validation (sliders can be bypassed), the model cache, images."""
from __future__ import annotations

import contextlib
import importlib
import math
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import gradio as gr
import numpy as np

import generators
from generators.base import MAX_SEED, make_grid, to_uint8, upscale
from generators.datasets.emoji import EMOJI_GROUPS
from ui import i18n as I

TRAIN_THREADS: int | None = None   # intra-op threads of a training step (app.py: torch's default); None = as is
CHEAP = dict(queue=False, trigger_mode="always_last", show_progress="hidden")   # slider drags: un-queued
GPU = dict(concurrency_id="gpu", concurrency_limit=2)                           # heavy work shares one lane
MAX_TEXT = 200


# ----------------------------------------------------------------------------- validation
def number(value, name: str, lo: float, hi: float, *, integer: bool = False):
    """A finite number in [lo, hi] (whole if `integer`), else a gr.Error naming the input."""
    if isinstance(value, bool) or value is None:
        raise I.error(f"{name} must be a number")
    if isinstance(value, str):
        if len(value) > 40:
            raise I.error(f"{name} must be a number")
        try:
            value = float(value)
        except ValueError:
            raise I.error(f"{name} must be a number") from None
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise I.error(f"{name} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise I.error(f"{name} must be a finite number")
    if not lo <= value <= hi:
        raise I.error(f"{name} must be between {lo:g} and {hi:g}")
    if integer:
        if value != int(value):
            raise I.error(f"{name} must be a whole number")
        return int(value)
    return float(value)


def seed(value) -> int:
    return number(value, "Seed", 0, MAX_SEED, integer=True)


def choice(value, name: str, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise I.error(f"{name} must be one of: {', '.join(map(str, options))}")
    return value


def text(value, name: str, max_len: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise I.error(f"{name} must be text")
    if len(value) > max_len:
        raise I.error(f"{name} is longer than {max_len} characters")
    return value


def label(value, num_classes: int) -> int | None:
    """"any" (or empty) → None; else a class index in range."""
    if value in (None, "", "any"):
        return None
    return number(value, "Class", 0, num_classes - 1, integer=True)


@contextlib.contextmanager
def _engine_errors_as_gr_errors():
    try:
        yield
    except gr.Error as e:                       # in the browser's language (ui/i18n: unchanged for English)
        e.message = I.tr(e.message)
        e.args = (e.message, *e.args[1:])
        raise
    except (ValueError, generators.CheckpointError) as e:
        raise I.engine_error(e) from None


def engine_errors(fn):
    """Turn the engine's ValueErrors (clear messages already) into gr.Error for the user. Streaming handlers
    stay (async) generators: Gradio checks which kind a handler is."""
    import functools
    import inspect

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def async_streaming(*args, **kwargs):
            with _engine_errors_as_gr_errors():
                async for value in fn(*args, **kwargs):
                    yield value
        return async_streaming
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            with _engine_errors_as_gr_errors():
                yield from fn(*args, **kwargs)
        return streaming

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with _engine_errors_as_gr_errors():
            return fn(*args, **kwargs)
    return wrapped


def fast(fn, output, *, thread: bool = False):
    """A slider event's handler with Gradio's per-input work taken out of worker threads; register it with
    `**FAST`. Gradio preprocesses each input in a worker thread of its own, then runs the handler in another
    and postprocesses the output in a third: 29 thread hand-offs for gan_render's 27 sliders, and on 2 vCPUs
    each costs wake-ups comparable to the model itself (measured: gan_render 1.78x → 1.28x its bare-Gradio floor).
    The handler validates its raw inputs itself (it has to anyway: the HTTP API bypasses the sliders), and
    `output` (its one output component) is encoded here. Cheap handlers (a few ms) run on the event loop;
    `thread=True` gives slower ones (tens of ms) one worker thread, so they do not hold up other users' events."""
    import functools

    import anyio

    def call(*args):
        value = output.postprocess(fn(*args))
        return value.model_dump() if hasattr(value, "model_dump") else value

    if thread:
        @functools.wraps(fn)
        async def run(*args):
            return await anyio.to_thread.run_sync(functools.partial(call, *args))
    else:
        @functools.wraps(fn)
        async def run(*args):
            return call(*args)
    return run


FAST = dict(CHEAP, preprocess=False, postprocess=False)   # with fast(): inputs arrive raw, output is encoded


def api_signature(fn, inputs: list, names=None):
    """Give a handler the signature its API page shows ("Use via API", gradio_client's `view_api()`): one parameter
    per input, in the same order, named `names` (else the handler's own first parameter names), each defaulting to
    its component's value as the page starts; an empty upload or drawing defaults to None, so a caller may leave it
    out as the page does. Gradio names API parameters from `inspect.signature`: a `*args` handler's show as param_N.
    Only the signature changes (positions and calls stay as they are); call it before the events are registered,
    and before wrapping the handler (fast() copies it). The handler's inputs must come first; parameters after them
    (resample_seed=None, progress=gr.Progress(), request: gr.Request) are kept. Returns fn."""
    import inspect

    P = inspect.Parameter
    params = list(inspect.signature(fn).parameters.values())
    positional = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional[:len(inputs)]] if names is None else list(names)
    if len(names) != len(inputs) or len(set(names)) != len(names):
        raise ValueError(f"{fn.__name__}: {len(inputs)} inputs need as many distinct names, got {names}")
    if len(positional) < len(inputs) and not any(p.kind == P.VAR_POSITIONAL for p in params):
        raise ValueError(f"{fn.__name__} takes {len(positional)} inputs, not {len(inputs)}")
    rest = [p for p in params[len(positional[:len(inputs)]):] if p.kind != P.VAR_POSITIONAL]
    if any(p.default is P.empty and p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD) for p in rest):
        raise ValueError(f"{fn.__name__}: a parameter after the inputs needs a default")
    page = [None if callable(getattr(c, "value", None)) else getattr(c, "value", None) for c in inputs]
    fn.__signature__ = inspect.Signature(
        [P(name, P.POSITIONAL_OR_KEYWORD, default=value) for name, value in zip(names, page)] + rest)
    return fn


# ----------------------------------------------------------------------------- models
_MODELS: dict[str, generators.Family] = {}
_LOCK = threading.Lock()


def tab_module(family: str):
    """A family's tab module, ui/<family>.py: the descriptor's UI half (build(), its lesson, optional Train-tab
    hooks `train_overlay(ax, model, fake, lim)` and `train_figure(run)`)."""
    return importlib.import_module(f"{__package__}.{family}")


def pretrained(name: str) -> generators.Family:
    """Shipped read-only models: loaded once per process, on the CPU (interactive work runs there; a GPU call
    puts its own copy on the GPU: generators/device.py), shared by every session."""
    with _LOCK:
        if name not in _MODELS:
            _MODELS[name] = generators.load(name, device="cpu")
        return _MODELS[name]


# ----------------------------------------------------------------------------- models a session trained
# "Explore this model" (Train tab) puts a session's model here; the family tabs draw with it instead of the
# shipped one, for that browser session only. Bounded: the oldest sessions' models are dropped first.
EXPLORED: "OrderedDict[str, generators.Family]" = OrderedDict()
MAX_EXPLORED = 16


def session_id(request=None) -> str | None:
    """The browser session of the event being handled (Gradio sets it per call; None outside an event)."""
    if request is None:
        from ui.gradio_seam import current_request
        request = current_request()
    return getattr(request, "session_hash", None) or None


def explore(model, request=None) -> None:
    sid = session_id(request)
    if sid is None:
        raise I.error("no browser session: open the app in a browser to explore a trained model")
    with _LOCK:
        EXPLORED[sid] = model
        EXPLORED.move_to_end(sid)
        while len(EXPLORED) > MAX_EXPLORED:
            EXPLORED.popitem(last=False)


def unexplore(request=None) -> None:
    with _LOCK:
        EXPLORED.pop(session_id(request) or "", None)


def explored(family: str, kind: str | None = None, request=None):
    """The model this session sent to `family`'s tab (of data kind `kind`, if given), else None."""
    m = EXPLORED.get(session_id(request) or "")
    if m is None or m.name != family or (kind is not None and m.data_kind != kind):
        return None
    return m


def model_for(family: str, kind: str, shipped: str) -> generators.Family:
    """What a family tab draws with: this session's explored model when it fits the view, else the shipped one."""
    return explored(family, kind) or pretrained(shipped)


def model_note(family: str) -> str:
    """One line for the top of a family tab: which model it is drawing with."""
    m = explored(family)
    if m is None:
        return ""
    meta = getattr(m, "meta", None) or {}
    steps, ds = meta.get("steps", "?"), meta.get("dataset", "")
    where = {"image": "the main view", "points": "the 2D view", "text": "this tab"}.get(m.data_kind, "this tab")
    return I.tr(f"🧪 **Your model from the Train tab** draws in {where} ({m.num_parameters():,} parameters"
                + (f", {ds}" if ds else "") + f", step {steps}). Train tab → *Back to the shipped models* undoes it.")


# ----------------------------------------------------------------------------- the image tabs' model picker
WORLDS = {"digits": "mnist", "emoji": "emoji"}   # the picker's values (what events send, the API takes) → dataset
CLASS_NAMES = {"emoji": EMOJI_GROUPS}             # a world's class names (digits: the numbers)


def world(value) -> str:
    """The model picker's value, checked: "digits" or "emoji"."""
    return choice(value, "Model", tuple(WORLDS))


def shipped_name(family: str, value) -> str:
    """The shipped checkpoint of `family` for the picker's value: gan-mnist, vae-emoji, …"""
    return f"{family}-{WORLDS[world(value)]}"


def worlds(family: str) -> list[str]:
    """The picker's choices on `family`'s tab: the worlds whose checkpoint is shipped (digits first)."""
    shipped = generators.shipped_checkpoints()
    return [w for w in WORLDS if shipped_name(family, w) in shipped]


def image_model(family: str, value) -> generators.Family:
    """What an image tab draws with for the picker's value: the shipped model, or this session's trained one
    (Train tab) when it makes pictures of the same shape (a grey 28×28 model in the digits view)."""
    shipped = pretrained(shipped_name(family, value))
    mine = explored(family, "image")
    return mine if mine is not None and mine.image_shape == shipped.image_shape else shipped


def class_choices(value, num_classes: int, any_class: bool = True) -> list[tuple[str, str]]:
    """A class picker's choices, (shown name, class index as text): emoji show their group's name."""
    names = CLASS_NAMES.get(world(value), ())
    if len(names) != num_classes:
        names = [str(i) for i in range(num_classes)]
    return [("any", "any")] * any_class + [(name, str(i)) for i, name in enumerate(names)]


def kept(value, options: list[tuple[str, str]]) -> str:
    """`value` where it is one of the options' values (a picker's new choices), else the first option's."""
    return value if value in [v for _, v in options] else options[0][1]


WORLD_NAMES = {"digits": "Digits (MNIST)", "emoji": "Emoji (Twemoji)"}   # what the picker shows


def model_picker(family: str, elem_id: str) -> gr.Radio:
    """The picker: values "digits" | "emoji" under WORLD_NAMES. A shown name must differ from its value: the page
    translates a component's first value when it is a catalog text ("digits" would arrive as 手写数字)."""
    from ui.gradio_seam import added_last         # the last input of the tab's named events: older calls still work

    return added_last(gr.Radio([(WORLD_NAMES[w], w) for w in worlds(family)], value="digits", label="Model",
                               elem_id=elem_id, min_width=160))


def localized(text: str) -> str:
    """A label that an event sets after the build, as the page shows it: an I18n key where the catalog has
    Chinese (call it once while building, so the key is in the page's catalog), else the English."""
    k = I.key(text)
    return str(k) if k is not None else text


def split_tail(values, n: int, defaults: tuple, what: str) -> tuple[list, tuple]:
    """A handler's *values: the first n (its sliders), then inputs added after them (the model picker, …);
    the ones an older caller leaves out take their defaults."""
    if not n <= len(values) <= n + len(defaults):
        raise I.error(f"expected {n} {what}, got {len(values)}")
    return list(values[:n]), (*values[n:], *defaults[len(values) - n:])


# ----------------------------------------------------------------------------- images
def grid_image(images, nrow: int | None = None, scale: int = 4) -> np.ndarray:
    """float N×1×H×W [0,1] → one large uint8 grid (nearest-neighbour upscale, not a 28-pixel speck)."""
    pad = 1 if len(images) > 1 else 0
    return upscale(make_grid(to_uint8(images), nrow=nrow, pad=pad, pad_value=40), scale)


def download_box(label: str, elem_id: str) -> gr.File:
    """A file to download, hidden until there is one (an empty file box is a screenful of nothing)."""
    return gr.File(label=label, elem_id=elem_id, height=70, interactive=False, visible=False)


def reveal(event, box: gr.File):
    """After `event` has put a file into `box` (a download_box), show it."""
    return event.success(lambda: gr.update(visible=True), None, box, api_name=False, queue=False,
                         show_progress="hidden")


def temp_file(data: bytes, name: str) -> str:
    """Write a download into Gradio's cache folder (cleaned by delete_cache) under a descriptive name."""
    root = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio") / "latent-lab"
    d = Path(tempfile.mkdtemp(dir=root.mkdir(parents=True, exist_ok=True) or root))
    p = d / name
    p.write_bytes(data)
    return str(p)
