"""The one seam where Latent Lab reaches into Gradio's private code (and PIL's global image-size limit).

`app.py` calls `install()` once, before the demo is built. Each patch below names the defect it answers and
the test that fails without it (SECURITY.md, "Verified by mutation"). They were written against Gradio
WRITTEN_FOR; on any other version `install()` says so on stderr at start-up and still applies those whose
targets exist — re-check each against that version's code before relying on it.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import io
import os
import sys
import tempfile
from pathlib import Path

import gradio as gr

from generators.data import MAX_IMAGE_PIXELS

WRITTEN_FOR = "6.31.0"
_installed: list[str] = []


def version_warning() -> str | None:
    """A one-paragraph warning when the running Gradio is not the one these patches were written for."""
    if gr.__version__ == WRITTEN_FOR:
        return None
    return (f"Latent Lab: ui/gradio_seam.py was written for gradio {WRITTEN_FOR}, but gradio {gr.__version__} "
            f"is installed (requirements.txt pins {WRITTEN_FOR}). Its patches of Gradio internals may not fit "
            f"this version: install gradio=={WRITTEN_FOR}, or re-check each patch in ui/gradio_seam.py.")


# ----------------------------------------------------------------------------- 1. the event context (DoS fix)
def _function_wrapper(f, before_fn=None, before_args=None, after_fn=None, after_args=None):
    """Gradio's `utils.function_wrapper` with `after_fn` in a `finally`. Gradio's skips it when the handler
    raises, so the event's context variables (`in_event_listener=True`, the request, the session's config)
    stay set. For a sync handler that is a worker thread's copy, thrown away; for an async one (our fast
    slider events) it is the request task's own context, and uvicorn re-registers a keep-alive connection's
    reader callback from that task, so every later request on the connection inherits it. Then
    `gr.Slider(...)` built for an update skips its base `__init__` ("'Slider' object has no attribute
    'info'"), for every visitor behind the same proxy connection, until a restart."""
    before_args = [] if before_args is None else before_args
    after_args = [] if after_args is None else after_args

    def before():
        if before_fn:
            before_fn(*before_args)

    def after():
        if after_fn:
            after_fn(*after_args)

    if inspect.isasyncgenfunction(f):
        @functools.wraps(f)
        async def asyncgen_wrapper(*args, **kwargs):
            iterator = f(*args, **kwargs)
            while True:
                before()
                try:
                    response = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                finally:
                    after()
                yield response
        return asyncgen_wrapper
    if inspect.iscoroutinefunction(f):
        @functools.wraps(f)
        async def async_wrapper(*args, **kwargs):
            before()
            try:
                return await f(*args, **kwargs)
            finally:
                after()
        return async_wrapper
    if inspect.isgeneratorfunction(f):
        @functools.wraps(f)
        def gen_wrapper(*args, **kwargs):
            iterator = f(*args, **kwargs)
            while True:
                before()
                try:
                    response = next(iterator)
                except StopIteration:
                    break
                finally:
                    after()
                yield response
        return gen_wrapper

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        before()
        try:
            return f(*args, **kwargs)
        finally:
            after()
    return wrapper


def _patch_event_context() -> None:
    import gradio.utils as gu

    gu.function_wrapper = _function_wrapper       # get_function_with_locals looks it up at call time


# ----------------------------------------------------------------------------- 2. atomic image cache writes
def _atomic_save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio writes each output image to a content-addressed cache path with a plain write_bytes, so when two
    users get the same picture at once, one can download the file while the other is still rewriting it
    (truncated PNG). Write to a temp file and rename instead."""
    from gradio import processing_utils as pu

    data = pu.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / pu.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    if path.exists():
        os.utime(path)                               # delete_cache ages files by ctime
    else:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return str(path)


def _patch_image_cache() -> None:
    from gradio import processing_utils as pu

    pu.save_pil_to_cache = _atomic_save_pil_to_cache


# ----------------------------------------------------------------------------- 3. posted drawings
def _patch_image_editor() -> None:
    """Gradio decodes a posted drawing (gr.Sketchpad / gr.ImageEditor) before our handler runs, and a file PIL
    cannot read (truncated, SVG/HTML named .png, empty) came back as "Could not preprocess input component"
    with server paths in it. Check the size from the header first (a 30000×30000 PNG of a few KB is never
    decoded) and answer anything unreadable with a gr.Error. (A patch, not a subclass: Gradio writes a .pyi
    file beside any module that subclasses a component.)"""
    from gradio.components.image_editor import ImageEditor
    from PIL import Image

    original = ImageEditor.convert_and_format_image
    if getattr(original, "latent_lab_safe", False):
        return
    unreadable = "The drawing is not a readable image (a PNG or JPEG is expected)."

    def convert_and_format_image(self, file, flatten_on_white: bool = False):
        if file is None:
            return None
        try:
            with Image.open(file.path if hasattr(file, "path") else io.BytesIO(file)) as im:
                w, h = im.size
        except Exception:                    # untrusted bytes: OSError, DecompressionBombError, …
            raise gr.Error(unreadable) from None
        if w * h > MAX_IMAGE_PIXELS:
            raise gr.Error(f"The drawing is {w}×{h} pixels; at most {MAX_IMAGE_PIXELS:,} pixels are accepted.")
        try:
            return original(self, file, flatten_on_white=flatten_on_white)
        except Exception:                    # truncated pixel data
            raise gr.Error(unreadable) from None

    convert_and_format_image.latent_lab_safe = True
    ImageEditor.convert_and_format_image = convert_and_format_image


# ----------------------------------------------------------------------------- 4. matplotlib backend switch
def _patch_matplotlib_switch() -> None:
    """Around every event Gradio switches matplotlib to Agg and back (`utils.MatplotlibBackendMananger`), and
    `matplotlib.use` calls `pyplot.switch_backend` whenever pyplot is in sys.modules — even half-imported by
    another thread (gr.Plot's postprocess imports it in a worker thread), which failed requests with
    "partially initialized module 'matplotlib.pyplot'". With MPLBACKEND=agg (app.py) the backend is Agg
    before matplotlib loads and nothing changes it, so the switch is a no-op and is skipped."""
    import gradio.utils as gu

    if os.environ.get("MPLBACKEND", "").lower() != "agg":
        return

    class AlreadyAgg:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    gu.MatplotlibBackendMananger = AlreadyAgg


# ----------------------------------------------------------------------------- 5. PIL's own limit
def _lower_pil_limit() -> None:
    """Defence in depth: PIL refuses any image over 2× this many pixels (its default allows 179 million)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


# ----------------------------------------------------------------------------- 6. API labels in English
def _patch_api_info_labels() -> None:
    """A translated label is a gr.I18n key (ui/i18n), and `Blocks.get_api_info` copies labels from the config
    as they are: /info, "Use via API" and gradio_client's view_api() would show `__i18n__{…}` where the English
    label was. The API speaks English: each key is put back to its English text. (tests/test_i18n.py)"""
    from gradio.blocks import Blocks

    original = Blocks.get_api_info
    if getattr(original, "latent_lab_english", False):
        return

    def english_labels(value):
        from ui.i18n import english

        if isinstance(value, dict):
            return {k: english_labels(v) for k, v in value.items()}
        if isinstance(value, list):
            return [english_labels(v) for v in value]
        return english(value)

    @functools.wraps(original)
    def get_api_info(self, *args, **kwargs):
        return english_labels(original(self, *args, **kwargs))

    get_api_info.latent_lab_english = True
    Blocks.get_api_info = get_api_info


# ----------------------------------------------------------------------------- 7. Gradio's input checks in Chinese
def _patch_input_check_language() -> None:
    """Gradio checks each input before the handler runs (a Slider's bounds, a Radio's or Dropdown's choices, a
    File's type) and raises gr.Error in English ("Value 9 is greater than maximum value 4."), while our own errors
    follow the browser's language (ui/i18n). `Blocks.process_api` is where every event's errors pass with its
    request: a Chinese request's gr.Error is translated there (the catalog has Gradio's messages as templates);
    any other request's error is left as it was, byte for byte. (tests/test_gradio_seam.py)"""
    from gradio.blocks import Blocks
    from gradio.exceptions import Error

    original = Blocks.process_api
    if getattr(original, "latent_lab_language", False):
        return
    signature = inspect.signature(original)

    @functools.wraps(original)
    async def process_api(self, *args, **kwargs):
        try:
            return await original(self, *args, **kwargs)
        except Error as e:
            from ui.i18n import HANT_LOCALE, language, translate

            request = signature.bind(self, *args, **kwargs).arguments.get("request")
            request = request[0] if isinstance(request, list) and request else request
            lang = language(request) if isinstance(e.message, str) else "en"
            chinese = translate(e.message, lang == HANT_LOCALE) if lang != "en" else None
            if chinese is not None:
                e.message = chinese
                e.args = (chinese, *e.args[1:])
            raise

    process_api.latent_lab_language = True
    Blocks.process_api = process_api


# ----------------------------------------------------------------------------- 8. inputs added to a named event
ADDED_LAST = "latent_lab_added_last"       # the attribute `added_last()` sets on such an input


def added_last(component):
    """Mark an input that was added as the last input(s) of existing named events (the image tabs' model picker,
    the poem controls): a call written before it, which sends the older, shorter list, still works (patch 8)."""
    setattr(component, ADDED_LAST, True)
    return component


def _patch_added_inputs() -> None:
    """Gradio refuses a raw HTTP call that sends fewer values than the event has inputs ("didn't receive enough
    input values"), so adding an input to a named event would break every caller written before it; gradio_client
    fills missing ones from their defaults, raw HTTP does not. Here the missing TRAILING inputs of a named event
    take their components' initial values — only when every one of them is marked `added_last` and holds a plain
    value; any other shortfall is refused as before. (tests/test_gradio_seam.py)"""
    from gradio.blocks import Blocks

    original = Blocks.preprocess_data
    if getattr(original, "latent_lab_added", False):
        return

    @functools.wraps(original)
    async def preprocess_data(self, block_fn, inputs, *args, **kwargs):
        want = block_fn.inputs
        if block_fn.api_name and isinstance(inputs, list) and 0 < len(want) - len(inputs):
            rest = want[len(inputs):]
            if all(getattr(b, ADDED_LAST, False) and isinstance(b.value, (str, int, float, bool, type(None)))
                   for b in rest):
                inputs = [*inputs, *(b.value for b in rest)]
        return await original(self, block_fn, inputs, *args, **kwargs)

    preprocess_data.latent_lab_added = True
    Blocks.preprocess_data = preprocess_data


PATCHES = {"event_context": _patch_event_context, "image_cache": _patch_image_cache,
           "image_editor": _patch_image_editor, "matplotlib_switch": _patch_matplotlib_switch,
           "pil_limit": _lower_pil_limit, "api_info_labels": _patch_api_info_labels,
           "input_check_language": _patch_input_check_language, "added_inputs": _patch_added_inputs}


def install(skip: tuple[str, ...] = ()) -> list[str]:
    """Apply every patch once (`skip` names some to leave out: for the mutation checks). Returns those applied."""
    if not _installed:
        warning = version_warning()
        if warning:
            print(warning, file=sys.stderr)
        for name, patch in PATCHES.items():
            if name not in skip:
                patch()
                _installed.append(name)
    return list(_installed)


# ----------------------------------------------------------------------------- reads of Gradio internals
def current_request():
    """The gr.Request of the event being handled (Gradio keeps it in a context variable), else None."""
    from gradio.context import LocalContext

    return LocalContext.request.get(None)


@contextlib.contextmanager
def one_fastapi_app():
    """Gradio builds its FastAPI app (~80 routes) in `Blocks()`, in `Blocks.__exit__` and in `queue()`, then
    again in `launch()`, which is the one that serves. While the demo is built, the first three are skipped;
    the caller makes one at the end (`fastapi_app`) so `demo.app` works before `launch()`."""
    from gradio.routes import App

    real = App.__dict__["create_app"]
    App.create_app = staticmethod(lambda *args, **kwargs: None)
    try:
        yield
    finally:
        App.create_app = real


def fastapi_app(demo):
    from gradio.routes import App

    return App.create_app(demo, mcp_server=False)
