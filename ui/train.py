"""The Train tab: train any family live with the shared engine; watch curves, samples and the 2D view update.

Per-session state (a `Run` in gr.State, ui/train_views.py) holds the model, the engine's event stream (paused
runs keep it, so Start continues where Pause left off), and the loss history of every run of the session
(earlier runs grey). The per-family settings come from the families' configs (`train_field` metadata); the
global cap on runs lives in ui/train_slots.py. "Explore this model" publishes the session's model for the family
tabs: `explored_model(request, family)`.
"""
from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import tempfile
import zipfile
from pathlib import Path

import anyio
import gradio as gr

import generators
from generators.base import train_fields
from generators.data import (IMAGE_SETS, MAX_IMAGES, MAX_UPLOAD, TEXT_SETS, TOY_SETS,  # noqa: F401 (MAX_IMAGES: tests)
                             Dataset, load_dataset, load_user_data)
from generators import music
from generators.melody_metrics import melodies_of
from generators.recipe import load_run, run_defaults, save_run

from . import common as C
from . import i18n as I
from . import lessons, melody
from .train_slots import _SLOTS, _WAITING, MAX_RUNS, _release, _try_slot, waiting_phase  # noqa: F401 (tests)
from .train_stream import (UPDATE_S, _finish, advance, begin, chunks, close_stream,  # noqa: F401 (UPDATE_S: tests)
                           pause_run, pull)
from .train_views import (MAX_TIMELAPSE, Run, _export_name, _run, curve_frame, curve_update, curves_csv,  # noqa: F401
                          figure_2d, keep_frame, outputs, status_text, timelapse_gif)

MAX_STEPS = 20_000
WAITING_ROOM = 32            # Starts handled at once: MAX_RUNS run, the rest are told their place in line and wait
                             # without a worker thread; beyond that Gradio's queue shows its own position
UPLOAD = "upload (.zip of images / .txt)"   # the value the API takes: kept as it was (a .npy goes too)
APP_MELODIES = ("han", "german")   # the melody collections the app reads into its cache (music.warm, app.py)
DATASETS = [*(d for d in IMAGE_SETS if d != "mnist-full"), *TOY_SETS, *TEXT_SETS, *APP_MELODIES,
            UPLOAD]   # (full MNIST downloads)


def family_fields() -> dict[str, dict]:
    """Every family's Train-tab settings (its config's `train_field`s), by field name; a field two families
    share (latent_dim) shows once, labelled and bounded as the first family declares it."""
    out: dict[str, dict] = {}
    for cls in generators.REGISTRY.values():
        for name, meta in train_fields(cls.Config).items():
            out.setdefault(name, meta)
    return out


FIELDS = family_fields()
# train_start's parameters: family, dataset, upload, lr, batch, steps, these fields, seed, every, then the fields
# of families added since (so every position an earlier API call filled keeps its meaning; the new ones trail)
FIRST_FIELDS = tuple(f for f in ("latent_dim", "loss", "n_critic", "beta", "schedule", "timesteps", "n_layer",
                                 "n_embd") if f in FIELDS)
LATER_FIELDS = tuple(f for f in FIELDS if f not in FIRST_FIELDS)

LESSON = """**Train a model live.** Pick a family and a dataset, press **Start** and watch the losses and the samples
(always from the same fixed noise) change as it learns. **Pause** keeps the run; **Start** continues it; **Step once**
runs one step. Runs you finished stay on the plot in grey, so change one setting and compare. On a 2D set the GAN
shows its discriminator's opinion (red: "real") and arrows where the generator is pushed."""


# ----------------------------------------------------------------------------- families and data
def available_families() -> list[str]:
    """Families with a built-in dataset they train on (a family still being written raises NotImplementedError)."""
    return [name for name in generators.REGISTRY if datasets_for(name) != [UPLOAD]]


def datasets_for(family: str) -> list[str]:
    cls = generators.REGISTRY[family]
    out = []
    for ds in DATASETS[:-1]:
        try:
            cls.config_for(ds)
            out.append(ds)
        except (ValueError, NotImplementedError):
            pass
    return out + [UPLOAD]


def load_upload(path) -> Dataset:
    """A user's .zip of images, .txt (one item per line) or .npy of points: `generators.data.load_user_data`
    (its size caps and one-line errors, shown to the user); the train split."""
    if not path:
        raise I.error("Choose a .zip of images, a .txt file or a .npy of points to upload")
    try:
        return load_user_data(path, "train")
    except ValueError as e:
        raise I.engine_error(e) from None


def build_model(family, dataset_name, data, overrides, seed):
    """A fresh model for the chosen data (an upload: shaped by its file, as `train --dataset FILE` is; a zip's
    images train unconditionally, `generators.build` sees to that)."""
    fields = {f.name for f in dataclasses.fields(generators.REGISTRY[family].Config)}
    overrides = {k: v for k, v in overrides.items() if k in fields and v is not None}
    source = str(data.source) if dataset_name == UPLOAD else dataset_name
    return generators.build(family, source, seed=seed, **overrides)


# ----------------------------------------------------------------------------- handlers
def _field(value, name: str):
    """A Train-tab setting of the family's config, validated by its `train_field`: None (the family's default
    for the dataset) for a blank choice, or a blank / 0 number where 0 stands for the default."""
    meta = FIELDS[name]
    if meta["choices"] is not None:
        return None if value in (None, "") else C.choice(value, meta["label"], list(meta["choices"]))
    if meta["zero_is_default"] and value in (None, "", 0):
        return None
    return C.number(value, meta["label"], meta["lo"], meta["hi"], integer=meta["type"] is int)


def _config(family, dataset, upload, lr, batch, steps, *rest):
    """The settings in train_start's order (FIRST_FIELDS, seed, every, LATER_FIELDS; the later ones may be left
    out) → (family, dataset name, Dataset, config overrides, run settings); every value validated."""
    family = C.choice(family, "Family", available_families())
    dataset = C.choice(dataset, "Dataset", DATASETS)
    first, (seed, every), later = rest[:len(FIRST_FIELDS)], rest[len(FIRST_FIELDS):len(FIRST_FIELDS) + 2], \
        rest[len(FIRST_FIELDS) + 2:]
    if dataset == UPLOAD:
        data = load_upload(upload)
        data.source = upload
    elif dataset in APP_MELODIES and not music.is_cached(dataset):        # requests never parse (music.py)
        raise I.error(f"The {dataset} songs are still being read into the cache (once, about a minute after the "
                      "app first starts). Try again shortly.")
    else:
        data = load_dataset(dataset, "train")
    values = {**dict(zip(FIRST_FIELDS, first)), **dict(zip(LATER_FIELDS, later))}
    checked = {name: _field(v, name) for name, v in values.items()}          # every one, shown or not
    own = train_fields(generators.REGISTRY[family].Config)
    overrides = {k: v for k, v in checked.items() if k in own}
    overrides["lr"] = None if lr in (None, "", 0) else C.number(lr, "Learning rate", 1e-6, 1.0)
    run = dict(steps=C.number(steps, "Steps", 1, MAX_STEPS, integer=True), batch=C.number(batch, "Batch", 1, 1024, integer=True),
               lr=overrides["lr"], seed=C.seed(seed), every=C.number(every, "Preview every", 1, 10_000, integer=True))
    return family, dataset, data, overrides, run


def _ensure_run(state, settings):
    """The session's run: the one under way or paused; an uploaded checkpoint continued (its config, weights,
    optimizer state and step count, on the chosen dataset); else a fresh model and run from `settings`."""
    r = _run(state)
    close_stream(r)
    if r.train is None and r.resume and r.model is not None:
        _, dataset, data, _, run = _config(r.family, *settings[1:])
        if data.kind != r.model.data_kind:
            raise I.error(f"this {r.family} checkpoint trains on {r.model.data_kind} data; "
                          f"choose a dataset of that kind ({dataset!r} is {data.kind})")
        run.pop("lr")
        begin(r, r.model, data, family=r.family, lr=None, start_step=r.step, optimizers=r.optimizers, **run)
    elif r.train is None:
        family, dataset, data, overrides, run = _config(*settings)
        model = build_model(family, dataset, data, overrides, run["seed"])      # on the CPU: chunks move it
        begin(r, model, data, family=family, **run)
    return r


@C.engine_errors
async def start(state, *settings):
    """Start a run (or continue a paused one), streaming every few steps. While all slots are busy it says its
    place in line and an estimate, and waits on the event loop (no worker thread held by a waiting student);
    the run advances in GPU chunks (ui/train_stream.py), pulled on a worker thread, as are its pictures."""
    r = await anyio.to_thread.run_sync(_ensure_run, state, settings)
    r.stop, key = False, id(r)
    try:
        while (place := _try_slot(key)) and not r.stop:
            r.phase = waiting_phase(place)
            yield await anyio.to_thread.run_sync(outputs, r)
            await asyncio.sleep(1.0)
        r.phase = "running"
        r.stream = updates = chunks(r)
        while await anyio.to_thread.run_sync(pull, r, updates) is not None:
            _try_slot(key, r)                       # heartbeat, with the run's pace for the line's estimates
            yield await anyio.to_thread.run_sync(outputs, r)
        r.stream = None
        if r.phase == "running":                     # ended by a pause (the chunk stopped at a step)
            r.phase = "paused"
        yield await anyio.to_thread.run_sync(outputs, r)
    finally:
        if r.stream is not None:                     # cancelled mid-stream: the chunk ends at its next step
            pause_run(r)
            r.phase = "paused"
        _release(key)


@C.engine_errors
def step_once(state, *settings):
    """One step, here on the CPU (a GPU call for one step would cost more than the step)."""
    r = _ensure_run(state, settings)
    with r.busy:
        for _ in advance(r, max_steps=1):
            pass
    if r.train is not None and not r.train.done:
        r.phase = "paused"
    return outputs(r)


def pause(state):
    """Pause: the running chunk ends after its current step and the stream shows the run paused; Start goes on."""
    r = _run(state)
    if r.train is not None:
        pause_run(r)
        r.phase = "paused"
    return r, status_text(r), curve_update(r)


def stop(state):
    r = _run(state)
    r.stop = True
    _finish(r, "stopped" if r.model is not None else "idle")
    return r, status_text(r), curve_update(r)


def reset(state):
    """Forget this session's runs and model (and free its memory)."""
    r = _run(state)
    r.stop = True
    _finish(r, "idle")
    return outputs(Run())


@C.engine_errors
def download(state):
    """The session's run as a .zip of safetensors weights + JSON config: `save_run`'s checkpoint (EMA and raw
    weights, optimiser state, recipe, this run's loss curve), which an upload or `train --resume` continues."""
    r = _run(state)
    if r.model is None:
        raise I.error("Train or upload a model first")
    with r.busy:                                  # between two steps: the model holds the EMA, the state the rest
        return _download(r)


def _download(r):
    name = f"{r.family}-{r.dataset.name if r.dataset is not None else 'model'}-{r.step}"
    curve = [(step, series.split(": ", 1)[-1], v) for run, series, step, v in r.history if run == r.run_id]
    with tempfile.TemporaryDirectory() as d:
        w = save_run(Path(d) / name, r.model, r.optimizers, steps=r.optimizers.step if r.optimizers else r.step,
                     curve=curve,
                     dataset=r.dataset.name if r.dataset is not None else "")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.write(w, w.name)
            zf.write(w.with_suffix(".json"), w.with_suffix(".json").name)
    return C.temp_file(buf.getvalue(), name + ".zip")


def _checkpoint_blobs(paths: list[Path]) -> dict[str, bytes]:
    """{".safetensors": bytes, ".json": bytes} from an upload: a .zip of both (members read into memory, their
    names never used as paths) or the two files."""
    try:
        if any(p.stat().st_size > 4 * MAX_UPLOAD for p in paths):
            raise I.error("checkpoint files are limited to 80 MB")
        if len(paths) == 1 and paths[0].suffix.lower() == ".zip":
            if not zipfile.is_zipfile(paths[0]):
                raise I.error("the .zip is not a zip archive")
            with zipfile.ZipFile(paths[0]) as zf:
                return {ext: zf.read(m) for m in zf.infolist()
                        if (ext := Path(m.filename).suffix.lower()) in (".safetensors", ".json")
                        and m.file_size <= 4 * MAX_UPLOAD}
        return {p.suffix.lower(): p.read_bytes() for p in paths if p.suffix.lower() in (".safetensors", ".json")}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as e:
        # a corrupt member (bad CRC), an encrypted one, an unknown compression method, a file gone
        raise I.error(f"the checkpoint cannot be read: {str(e).splitlines()[0][:120] if str(e) else type(e).__name__}") \
            from None


@C.engine_errors
def upload_checkpoint(state, files):
    """Load a checkpoint (.zip of both, or the .safetensors + .json pair) with `load_run`, as `train --resume`
    does: validated, never unpickled; an optimiser state that does not fit continues with a fresh one."""
    r = _run(state)
    paths = [Path(f) for f in (files if isinstance(files, list) else [files] if files else [])]
    if not paths:
        raise I.error("Choose a checkpoint: a .zip, or its .safetensors and .json files together")
    blobs = _checkpoint_blobs(paths)
    if set(blobs) != {".safetensors", ".json"}:
        raise I.error("a checkpoint needs both its .safetensors weights and its .json config")
    with tempfile.TemporaryDirectory() as d:
        for ext, data in blobs.items():
            (Path(d) / f"upload{ext}").write_bytes(data)
        _finish(r, "idle")
        saved = load_run(Path(d) / "upload.safetensors", device="cpu", fresh_on_misfit=True)
    model, steps = saved.model, saved.state.step
    r.model, r.family, r.step, r.total, r.samples = model, model.name, steps, steps, None
    r.dataset = Dataset(str(model.meta.get("dataset", "uploaded"))[:40], model.data_kind)
    r.optimizers = saved.state
    r.run_id += 1
    r.history = [h for h in r.history] + [(r.run_id, f"run {r.run_id}: {k}", st, v) for st, k, v in saved.curve]
    r.resume, r.train = True, None
    r.device = "cpu"
    r.phase = (f"loaded {model.name} checkpoint at step {steps}: Start continues training it"
               + (" (with a fresh optimizer: the file has no usable optimizer state)" if saved.fresh else ""))
    return r, status_text(r)


def explore(state, request: gr.Request):
    """Send the session's model to its family's tab (this browser session only), in place of the shipped one."""
    r = _run(state)
    if r.model is None:
        raise I.error("Train or upload a model first")
    r.model.meta = {**(getattr(r.model, "meta", None) or {}), "steps": r.step,
                    "dataset": r.dataset.name if r.dataset is not None else "uploaded"}
    C.explore(r.model, request)
    tab = generators.REGISTRY[r.family].TITLE
    view = {"image": "", "points": " (its 2D view)", "text": ""}.get(r.model.data_kind, "")
    return I.tr(f"Your {r.family} model (step {r.step}) now draws in the **{tab}** tab{view}, for this browser "
                f"session only; in the Compare tab, 'Add my trained model' measures it beside the shipped ones.", request)


def unexplore(request: gr.Request):
    C.unexplore(request)
    return I.tr("The family tabs draw with the shipped models again.", request)


def explored_model(request: gr.Request, family: str):
    """The model this browser session sent to `family`'s tab with "Explore this model", else None."""
    return C.explored(family, request=request)


def family_changed(family):
    """The family's datasets and its own settings shown (the learning rate, its config's train_fields), with
    the values a run from scratch on its first dataset uses (as dataset_changed)."""
    family = C.choice(family, "Family", available_families())
    cls = generators.REGISTRY[family]
    own = train_fields(cls.Config)
    ds = datasets_for(family)
    steps, batch, lr, *values = dataset_changed(family, ds[0])
    has_lr = "lr" in {f.name for f in dataclasses.fields(cls.Config)}
    return (gr.update(choices=I.choices(ds), value=ds[0]), steps, batch, _shown(has_lr, lr),
            *(_shown(name in own, v) for name, v in zip(FIELDS, values)))


def _shown(visible: bool, value):
    return gr.update(visible=visible) if isinstance(value, type(gr.skip())) else gr.update(visible=visible, value=value)


def dataset_changed(family, dataset):
    """What a run from scratch of this family on this data trains with when no field says otherwise, shown as
    the real values: Steps and Batch (its RunDefaults, as the CLI with no flags), the learning rate and the
    family's own settings (its config for the data); gr.skip() for the other families' settings, and for all of
    them on an upload or a bad value (the fields stay as they are). The user may change any of them."""
    keep = (gr.skip(),) * (3 + len(FIELDS))
    try:
        family = C.choice(family, "Family", available_families())
        if dataset == UPLOAD:
            return keep
        cls = generators.REGISTRY[family]
        dataset = C.choice(dataset, "Dataset", datasets_for(family))
        rd, config = run_defaults(cls, dataset), cls.config_for(dataset)
    except (gr.Error, ValueError):
        return keep
    own = train_fields(cls.Config)
    return (rd.steps, rd.batch_size, getattr(config, "lr", gr.skip()),
            *(getattr(config, name) if name in own else gr.skip() for name in FIELDS))


def defaults_js() -> str:
    """dataset.change in the page: Steps, Batch, the learning rate and the family's settings set from a table of
    `dataset_changed` for every family and dataset (null: left as it is), in the browser. A round trip to the
    server could land after the user typed over the fields."""
    table = {f: {d: _js_values(dataset_changed(f, d)) for d in datasets_for(f)} for f in available_families()}
    return (f"(f, d, ...now) => {{ const v = ({json.dumps(table)}[f] || {{}})[d]; "
            "return v ? v.map((x, i) => x === null ? now[i] : x) : now; }")


def _js_values(values) -> list:
    return [None if isinstance(v, type(gr.skip())) else v for v in values]


# ----------------------------------------------------------------------------- layout
def _field_widget(name: str, value, *, visible: bool):
    """A family setting's input, showing `value` (the first family's, else the field's default): a dropdown of
    its choices, or a number (0 is still taken as "the family's default", as the API always took it)."""
    meta = FIELDS[name]
    eid = f"train_{ {'latent_dim': 'latent'}.get(name, name)}"          # train_latent, train_loss: as they were
    value = meta["default"] if isinstance(value, type(gr.skip())) else value
    if meta["choices"] is not None:
        return gr.Dropdown(list(meta["choices"]), value=value, label=meta["label"], elem_id=eid, visible=visible,
                           min_width=140)
    return gr.Number(value, label=meta["label"], precision=0 if meta["type"] is int else None, elem_id=eid,
                     visible=visible, min_width=140)


@C.engine_errors
def hear(state):
    """The run's latest previews as melodies: piano rolls to play, the WAV, .mid and .wav downloads."""
    r = _run(state)
    if r.model is None or r.model.data_kind != "melody" or r.samples is None:
        raise I.error("Train a melody model (a dataset of songs: han, german, or your .abc / .mid) to hear its "
                      "samples.")
    s = r.samples
    mels = [music.from_text(x) for x in s] if isinstance(s, list) else melodies_of(s)
    return melody.outputs(mels[:8], [f"{i + 1}" for i in range(min(8, len(mels)))],
                          f"{_export_name(r)}_step{r.step}")


def build() -> list:
    fams = available_families()
    first = fams[0] if fams else None
    state = gr.State(None)
    gr.Markdown(LESSON)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            family = gr.Dropdown(fams, value=first, label="Family", elem_id="train_family")
            ds = datasets_for(first) if first else []
            dataset = gr.Dropdown(ds, value="8gaussians" if "8gaussians" in ds else ds[0] if ds else None,
                                  label="Dataset", elem_id="train_dataset")
            upload = gr.File(label="Your data: .zip of images, .txt (one item per line), .npy of N×2 points or "
                                   "N numbers (20 MB max), or .abc / .mid melodies (2 MB max)",
                             file_types=[".zip", ".txt", ".npy", ".abc", ".mid", ".midi"], type="filepath",
                             height=120, visible=dataset.value == UPLOAD, elem_id="train_upload")
            steps0, batch0, lr0, *values0 = dataset_changed(first, dataset.value)
            with gr.Row():
                steps = gr.Number(steps0, label="Steps", precision=0, elem_id="train_steps")
                batch = gr.Number(batch0, label="Batch", precision=0, elem_id="train_batch")
            lr = gr.Number(lr0, label="Learning rate", elem_id="train_lr")
            own = train_fields(generators.REGISTRY[first].Config) if first else {}
            names = list(FIELDS)
            fields = {}
            with gr.Row():                                # the families' own settings: the shown ones wrap
                for name, value in zip(names, values0):
                    fields[name] = _field_widget(name, value, visible=name in own)
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0)
                every = gr.Number(25, label="Preview every (steps)", precision=0, elem_id="train_every")
        with gr.Column(scale=2):
            status = gr.Markdown(status_text(Run()), elem_id="train_status")
            with gr.Row():
                start_btn = gr.Button("Start", variant="primary", elem_id="train_start")
                pause_btn = gr.Button("Pause", elem_id="train_pause")
                step_btn = gr.Button("Step once", elem_id="train_step")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="train_stop")
                reset_btn = gr.Button("Reset", elem_id="train_reset")
            # no fixed height: at 260 px the legend (which line is which loss) was cut off below the chart
            curve = gr.LinePlot(x="step", y="loss", color="series", label="Losses (earlier runs grey)",
                                elem_id="train_curve")
            with gr.Row():
                # a height with room around the grid: without one the label and buttons covered its top row
                samples = gr.Image(label="Samples from fixed noise", elem_id="train_samples", interactive=False,
                                   height=400)
                plot2d = gr.Plot(label="2D view", elem_id="train_2d", visible=False)   # shown for runs that have one
            texts = gr.Textbox(label="Samples (text)", lines=6, elem_id="train_text", visible=False)
            with gr.Row():
                dl_btn = gr.Button("Download", elem_id="train_download")
                explore_btn = gr.Button("Explore this model", elem_id="train_explore")
                unexplore_btn = gr.Button("Back to the shipped models", elem_id="train_unexplore", size="sm")
                ckpt = gr.UploadButton("Upload a checkpoint…", file_count="multiple",
                                       file_types=[".zip", ".safetensors", ".json"], type="filepath",
                                       elem_id="train_upload_ckpt", size="sm")
            dl_file = C.download_box("Model (.zip: safetensors + JSON)", "train_model_file")
            note = gr.Markdown()
    settings = [family, dataset, upload, lr, batch, steps, *(fields[f] for f in FIRST_FIELDS), seed, every,
                *(fields[f] for f in LATER_FIELDS)]
    outs = [state, status, curve, samples, plot2d, texts]
    defaults = [steps, batch, lr, *fields.values()]
    family.change(family_changed, family, [dataset, *defaults], api_name=False, **C.CHEAP)
    dataset.change(None, [family, dataset, *defaults], defaults, js=defaults_js(), api_name=False, queue=False)
    dataset.change(lambda d: gr.update(visible=d == UPLOAD), dataset, upload, api_name=False, queue=False,
                   show_progress="hidden")             # the drop zone only where the user uploads
    # its own lane: a class pressing Start reaches the handler at once (told its place), and a training run
    # never holds one of the GPU lane's two places that the Diffusion tab's renders need
    # the status line shows the progress: Gradio's overlay would redraw three outputs at every update
    # the API names the settings as the CLI's flags (batch_size, sample_every, latent_dim, …); the upload defaults
    # to None, as the page leaves it empty
    C.api_signature(start, [state, *settings], ["state", "family", "dataset", "upload", "lr", "batch_size", "steps",
                                                *FIRST_FIELDS, "seed", "sample_every", *LATER_FIELDS])
    ev = start_btn.click(start, [state, *settings], outs, api_name="train_start", concurrency_id="train",
                         concurrency_limit=WAITING_ROOM, show_progress="hidden",
                         api_description="Starts a training run of family on dataset (or continues this session's "
                         "paused one) and streams it; each update: the status line (Markdown), the loss curves (a "
                         "table: step, loss, series), samples from fixed noise (a PNG file; none for 2D points), the 2D "
                         "view (a plot, for 2D points) and sample texts (for text).")
    # Pause and Stop reach the running chunk through its stop token (it may train in another process): the stream
    # ends by itself one step later, with the run's state, rather than being cancelled and losing the chunk
    pause_btn.click(pause, state, [state, status, curve], api_name=False, queue=False)
    stop_btn.click(stop, state, [state, status, curve], api_name=False, queue=False)
    step_btn.click(step_once, [state, *settings], outs, api_name=False, **C.GPU)
    reset_btn.click(reset, state, outs, cancels=[ev], api_name=False, queue=False)
    C.reveal(dl_btn.click(download, state, dl_file, api_name="train_download",
                          api_description="This session's model as a .zip file of safetensors weights and JSON config "
                          "(optimiser state and loss curve included), which an upload or `train --resume` continues."),
             dl_file)
    explore_btn.click(explore, state, note, api_name=False)
    unexplore_btn.click(unexplore, None, note, api_name=False, queue=False)
    ckpt.upload(upload_checkpoint, [state, ckpt], [state, status], api_name=False)

    with gr.Row():
        hear_btn = gr.Button("Hear the samples (melody runs)", elem_id="train_hear")
    hear_outs = melody.output_components("train")
    melody.reveal(hear_btn.click(hear, state, hear_outs, api_name="train_melodies",
                                 api_description="The latest fixed-noise samples of this session's melody run: "
                                 "(HTML piano rolls, the WAV, [.mid, .wav])."), hear_outs)
    with gr.Row():
        gif_btn = gr.Button("Download timelapse GIF", elem_id="train_timelapse_btn")
        csv_btn = gr.Button("Download curves CSV", elem_id="train_csv_btn")
    export = C.download_box("Export", "train_export")
    C.reveal(gif_btn.click(timelapse_gif, state, export, api_name="train_timelapse",
                           api_description="The fixed-noise previews of this session's run as an animated GIF file, "
                           "one frame per preview."), export)
    C.reveal(csv_btn.click(curves_csv, state, export, api_name="train_curves_csv", queue=False,
                           api_description="Every loss value of this session's runs as a CSV file: run, series, "
                           "step, loss."), export)

    with gr.Accordion("How it works", open=False):
        gr.Markdown(lessons.TRAIN_LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.train(), elem_id="train_diagram")
    return []
