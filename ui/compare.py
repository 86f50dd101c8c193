"""The Compare tab: one seed and class through every family, a metric table, and a mode-collapse histogram."""
from __future__ import annotations

import functools
import threading

import gradio as gr
import numpy as np
import pandas as pd
import torch

from generators import device as dev
from generators.base import make_generator
from generators.run import CALL_OVERHEAD_S

from . import common as C
from . import i18n as I
from . import lessons, share



@functools.cache
def _meta(name: str) -> dict:
    """A shipped checkpoint's JSON (family, config, dataset, metrics), read without its weights."""
    import generators
    from generators.base import checkpoint_paths, read_meta

    return read_meta(checkpoint_paths(generators.resolve_checkpoint(name))[1])


def shipped_rows() -> dict[str, tuple[str, ...]]:
    """The Compare rows, from the registry: each family's default checkpoint and every shipped checkpoint named
    after a dataset (`<family>-<dataset>`: gan-emoji, autoregressive-poems, diffusion-8gaussians, …), grouped by
    what they draw — one group per image dataset (digits, emoji), then text, then points — registry order within."""
    import generators
    from generators.data import DATASETS, IMAGE_SETS, dataset_kind

    names = dict.fromkeys(n for f in generators.REGISTRY
                          for n in (generators.DEFAULT_CHECKPOINT[f], *(f"{f}-{d}" for d in (*DATASETS, "melodies"))))
    rows: dict[str, list[str]] = {**{d: [] for d in IMAGE_SETS}, "text": [], "melody": [], "points": []}
    for name in names:
        if name in generators.shipped_checkpoints():
            dataset = str(_meta(name).get("dataset", ""))
            kind = dataset_kind(dataset)
            rows.setdefault(dataset if kind == "image" else kind, []).append(name)
    return {k: tuple(v) for k, v in rows.items() if v or k in ("text", "points")}


NOT_IMAGES = ("text", "melody", "points")


ROWS = shipped_rows()
IMAGE_GROUPS = {k: v for k, v in ROWS.items() if k not in NOT_IMAGES}   # {image dataset: its models}
IMAGE_MODELS = ROWS["mnist"]                       # the digit models: the same-seed row, the mode-collapse histogram
ALL_MODELS = tuple(m for group in ROWS.values() for m in group)
COLUMNS = ["model", "parameters", "samples", "class accuracy", "FID ↓", "FID-b ↓", "background dots ↓", "precision",
           "recall", "classes covered",
           "modes covered", "NLL/point ↓", "NLL/char ↓", "bigram NLL/char", "new", "NLL/event ↓", "5-gram NLL/event",
           "notes in pentatonic", "copies ≥16 notes ↓", "ms per sample"]             # ms last: a machine's figure
MAX_EVAL = 2000
_TABLE: dict[int, pd.DataFrame] = {}
_LOCK = threading.Lock()


def _row(name: str, r: dict) -> dict:
    pct = lambda k: f"{100 * r[k]:.1f}%" if k in r else ""  # noqa: E731
    num = lambda k, f="{:.3f}": f.format(r[k]) if k in r else ""  # noqa: E731
    modes = f"{r['modes_covered']}/{r['modes_total']}" if "modes_covered" in r else ""
    return {"model": name, "parameters": f"{r['parameters']:,}", "samples": r.get("n_samples", ""),
            "class accuracy": pct("class_accuracy"), "FID ↓": num("fid", "{:.1f}"), "FID-b ↓": num("fid_b", "{:.1f}"),
            "background dots ↓": pct("speckle"), "precision": num("precision"),
            "recall": num("recall"), "classes covered": r.get("classes_covered", ""), "modes covered": modes,
            "NLL/point ↓": num("heldout_nll"),
            "NLL/char ↓": num("heldout_nll_per_char"), "bigram NLL/char": num("bigram_heldout_nll_per_char"),
            "new": pct("novelty"),
            "ms per sample": f"{1000 * r['sample_seconds_per_sample']:.2f}" if "sample_seconds_per_sample" in r else "",
            "NLL/event ↓": num("nll_per_event"), "5-gram NLL/event": num("ngram_nll_per_event"),
            "notes in pentatonic": pct("scale_share"), "copies ≥16 notes ↓": pct("copy_share")}


REAL = "real digits (FID floor)"
REAL_ROWS = {"mnist": REAL, "emoji": "real emoji (FID floor)"}    # the floor row under each image group
UNMEASURED = "—"                                   # the samples of a row whose JSON holds no numbers
MELODY_FLOOR = "held-out Han songs"                # the melodies' floor row: the songs' own shares


def _real_row(group: str, n, fid: str, fid_b: str = "", dots: str = "") -> dict:
    """The floor for a group's FID (and FID-b, in the second feature network, mnist-features-b): its real training
    images against the held-out ones, at the same n; its background dots: the held-out images' own share."""
    return {**{c: "" for c in COLUMNS}, "model": REAL_ROWS.get(group, f"real {group} (FID floor)"), "samples": n,
            "FID ↓": fid, "FID-b ↓": fid_b, "background dots ↓": dots}


def _table(rows: dict[str, dict], floors: dict[str, dict]) -> pd.DataFrame:
    """The table's layout: each image group with its floor under it, then the text and points models."""
    out = []
    for group, names in ROWS.items():
        out += [rows[name] for name in names]
        if group in IMAGE_GROUPS or group == "melody" and group in floors:
            out.append(floors[group])
    return pd.DataFrame(out, columns=COLUMNS)


def _floors(metrics: dict[str, dict], samples) -> dict[str, dict]:
    """Each image group's floor row from its models' `fid_real` (real against real at each n they were measured
    at; `samples(r)` is the row's sample count)."""
    floors = {}
    for group, names in IMAGE_GROUPS.items():
        at = {samples(metrics[m]): f"{metrics[m]['fid_real']:.1f}" for m in names if "fid_real" in metrics[m]}
        at_b = {samples(metrics[m]): f"{metrics[m]['fid_b_real']:.1f}" for m in names if "fid_b_real" in metrics[m]}
        dots = {f"{100 * metrics[m]['speckle_real']:.1f}%" for m in names if "speckle_real" in metrics[m]}
        ns = list(at) or [UNMEASURED]
        floors[group] = _real_row(group, ns[0] if len(ns) == 1 else " / ".join(map(str, ns)), " / ".join(at.values()),
                                  " / ".join(at_b.values()), " / ".join(sorted(dots)))
    held = [metrics[m] for m in ROWS.get("melody", ()) if "scale_share_heldout" in metrics.get(m, {})]
    if held:                 # the melodies' floor: the held-out songs' own shares (4- and 8-bar windows)
        share = lambda k: " / ".join(sorted({f"{100 * r[k]:.1f}%" for r in held if k in r}))  # noqa: E731
        floors["melody"] = {**{c: "" for c in COLUMNS}, "model": MELODY_FLOOR,
                            "notes in pentatonic": share("scale_share_heldout"),
                            "copies ≥16 notes ↓": share("copy_share_heldout")}
    return floors


def shipped_metrics(name: str) -> dict:
    """A shipped model's measures as its checkpoint's JSON holds them (written by `evaluate` at release, at its
    own n_samples; {} where none were), with its parameter count from an untrained copy (ms, no weights read)."""
    import generators
    from generators.base import config_from_json

    meta = _meta(name)
    cls = generators.REGISTRY[meta["family"]]
    skeleton = cls(config_from_json(cls.Config, meta.get("config")))
    return {**meta.get("metrics", {}), "parameters": skeleton.num_parameters()}


def json_table(metrics: dict[str, dict]) -> pd.DataFrame:
    """The table from the numbers checkpoints carry ({model: its JSON's metrics and parameters}, in ALL_MODELS
    order), each row at the sample count it was measured at (UNMEASURED where there are none); each image group's
    floor is its models' `fid_real`, at each n they were measured at."""
    rows = {name: {**_row(name, r), "samples": r.get("n_samples", UNMEASURED)} for name, r in metrics.items()}
    return _table(rows, _floors(metrics, lambda r: r["n_samples"]))


@functools.cache
def shipped_table() -> pd.DataFrame:
    """The table as the page opens (the Dataframe's first value): the shipped JSONs' numbers, nothing sampled."""
    return json_table({name: shipped_metrics(name) for name in ALL_MODELS})


def _on_heavy(model):
    """A model in a GPU call: a shipped one by name (loaded there from its file: nothing to send), else the
    session's own (sent with the call) put on the heavy device."""
    import generators

    if isinstance(model, str):
        return generators.load(model, device=dev.heavy_device())
    return dev.on(model, dev.heavy_device())


def _eval_seconds(models, n) -> int:
    """A GPU call's request for measuring `models` at n samples: its start-up, then per model and batch of 250 a
    sampler's worth of network evaluations (diffusion's 100 at most) at NFE_S each, and the feature network."""
    from .diffusion import NFE_S

    batches = -(-int(n) // 250)
    return int(CALL_OVERHEAD_S + 2 + len(models) * batches * 100 * NFE_S)


@dev.gpu_call(duration=_eval_seconds)
def _measure(models, n) -> dict:
    """A GPU call: `generators.metrics.evaluate` of each model ({row name: shipped name or model}) at n samples."""
    from generators.metrics import evaluate

    return {name: evaluate(_on_heavy(m), n=n, seed=0) for name, m in models.items()}


def metric_table(n=200, recompute: bool = False) -> pd.DataFrame:
    """Every shipped model's measures with `n` samples each (cached per n: FID depends on the sample count)."""
    n = C.number(n, "Samples", 50, MAX_EVAL, integer=True)
    with _LOCK:
        if recompute or n not in _TABLE:
            measured = _measure({name: name for name in ALL_MODELS}, n)
            _TABLE[n] = _table({name: _row(name, r) for name, r in measured.items()},
                               _floors(measured, lambda r: r.get("n_samples", n)))
        return _TABLE[n]


def recompute(n):
    return metric_table(n, recompute=True)


def _same_seed(name: str, s: int, y):
    """One sample of a shipped image model for seed s and class y (drawn from the seed for "any", and where the
    model has fewer classes: the 9 emoji groups for class 9); the digits' VAE is unconditional."""
    m = C.pretrained(name)
    k = m.num_classes
    lab = (y if y is not None and y < k else int(torch.randint(0, k, (1,), generator=make_generator(s)))) if k else None
    return m.sample(1, generator=make_generator(s, m.device), labels=lab).cpu()


def _stack(rows: list[list[torch.Tensor]]) -> tuple[torch.Tensor, int]:
    """Rows of samples → one batch, row after row, and the row length: where the rows differ (grey 28×28 digits,
    RGB 32×32 emoji) every tile becomes RGB of the largest size, centred on black; short rows end in black tiles."""
    c, size = (max(x.shape[d] for r in rows for x in r) for d in (1, 3))
    width = max(len(r) for r in rows)
    tiles = []
    for r in rows:
        for x in r + [torch.zeros(1, c, size, size)] * (width - len(r)):
            p, q = (size - x.shape[-1]) // 2, (size - x.shape[-1] + 1) // 2
            tiles.append(torch.nn.functional.pad(x.expand(-1, c, -1, -1), (p, q, p, q)))
    return torch.cat(tiles), width


@C.engine_errors
def side_by_side(seed, label):
    """The same seed and class through the GAN, the VAE and diffusion: a row of digits, then a row of emoji
    (the same class index where it is an emoji group, 0–8; else one from the seed)."""
    s = C.seed(seed)
    y = C.label(label, 10)
    imgs, width = _stack([[_same_seed(name, s, y) for name in group] for group in IMAGE_GROUPS.values()])
    texts = [", ".join(C.pretrained(name).sample(8, generator=make_generator(s))) for name in ROWS["text"]]
    return (C.grid_image(imgs, nrow=width, scale=6),
            " · ".join(I.tr(f"{str(C.pretrained(n).meta.get('dataset', 'samples')).capitalize()} from the same seed: {t}")
                       for n, t in zip(ROWS["text"], texts)))


@dev.gpu_call(duration=_eval_seconds)
def _class_counts(names, n) -> list[torch.Tensor]:
    """A GPU call: for each shipped model, how many of its n samples the feature network reads as each class."""
    from generators.metrics import load_classifier

    clf, out = load_classifier(), []
    for name in names:
        m = _on_heavy(name)
        g = make_generator(0, m.device)
        # "any class": conditional models draw their class at random, so a collapse shows as missing bars
        x = torch.cat([m.sample(min(250, n - i), generator=g).cpu() for i in range(0, n, 250)])
        _, p = clf.embed(x)
        out.append(torch.bincount(p.argmax(1), minlength=10).float())
    return out


def collapse_histogram(n=500):
    """Class histogram of unconditional samples (by the feature network) vs the held-out digits."""
    from matplotlib.figure import Figure

    from generators.data import load_mnist

    n = C.number(n, "Samples", 50, MAX_EVAL, integer=True)
    counts = _class_counts(IMAGE_MODELS, n)
    real = torch.bincount(load_mnist("heldout").y, minlength=10).float()
    fig = Figure(figsize=(7, 2.8), dpi=100)
    ax = fig.add_subplot()
    width = 0.2
    ax.bar(np.arange(10) - 1.5 * width, (real / real.sum()).numpy(), width, label="held-out digits", color="#9aa0a6")
    for k, (name, h) in enumerate(zip(IMAGE_MODELS, counts)):
        ax.bar(np.arange(10) + (k - 0.5) * width, (h / h.sum()).numpy(), width, label=name)
    ax.set_xticks(range(10))
    ax.set_xlabel("class (read by the feature network)")
    ax.set_ylabel("share of samples")
    ax.legend(fontsize=8, ncol=4)
    I.localize_figure(fig).tight_layout()
    return fig


@C.engine_errors
def evaluate_mine(n, request: gr.Request):
    """Evaluate the model this session sent from the Train tab ("Explore this model") and add it to the table."""
    import generators

    from . import train

    n = C.number(n, "Samples", 50, MAX_EVAL, integer=True)
    model = next((m for f in generators.REGISTRY
                  if (m := train.explored_model(request, f)) is not None), None)
    if model is None:
        raise I.error("Train a model in the Train tab and press 'Explore this model' first.")
    if not hasattr(model, "meta"):
        model.meta = {"dataset": getattr(model, "dataset_name", "mnist")}
    row = _row(f"yours ({model.name})", _measure({"yours": model}, n)["yours"])
    return pd.concat([metric_table(n), pd.DataFrame([row], columns=COLUMNS)], ignore_index=True)


def build() -> list:
    gr.Markdown("It is often said that GANs are sharp but can collapse, VAEs are blurry, diffusion is best but slow, "
                "and text models are measured by likelihood — here are the numbers for the models shipped here. FID and precision/recall use the shipped MNIST "
                "feature network (99.4% on held-out digits) in place of Inception, against the 500 held-out digits; "
                "the sample count is in the table because FID depends on it.")
    with gr.Row():
        seed = gr.Number(value=0, label="Seed", precision=0, minimum=0, elem_id="cmp_seed")
        label = gr.Dropdown(["any"] + [str(i) for i in range(10)], value="7", label="Class", elem_id="cmp_label")
        go = gr.Button("Same seed through every family", elem_id="cmp_go")
    titles = [C.pretrained(m).TITLE + ("" if C.pretrained(m).num_classes else " (a sample of any class)")
              for m in IMAGE_MODELS]
    row_img = gr.Image(label=" · ".join(titles), elem_id="cmp_img", format="png",
                       interactive=False)
    names = gr.Markdown(elem_id="cmp_names")
    gr.on([go.click, seed.submit, label.input], side_by_side, [seed, label], [row_img, names],
          api_name="compare_side_by_side", **C.GPU,
          api_description="The same seed and label through the GAN, the VAE and diffusion: a row of digits and a row "
          "of emoji (a PNG file), and names from the same seed (Markdown).")

    with gr.Accordion("Quality of every shipped model", open=True):
        with gr.Row():
            n = gr.Slider(50, MAX_EVAL, value=200, step=50, label="Samples per model", elem_id="cmp_n")
            table_btn = gr.Button("Compute the table", elem_id="cmp_table_btn")
            redo = gr.Button("Recompute", elem_id="cmp_recompute")
            mine = gr.Button("Add my trained model (from the Train tab)", elem_id="cmp_mine")
        gr.Markdown("The table opens with the numbers each checkpoint shipped with, from its JSON, at the sample "
                    "count under *samples* (— where it has none). *Compute the table* measures every model afresh "
                    "at the slider's count.", elem_id="cmp_table_note")
        table = gr.Dataframe(shipped_table(), headers=COLUMNS, elem_id="cmp_table", interactive=False, wrap=True)
    measures = "a table of each shipped model's measures (FID, precision, recall, NLL, …)"
    table_btn.click(metric_table, n, table, api_name="compare_table", **C.GPU,
                    api_description=f"Every shipped model measured on n samples (kept for the next call with the same "
                    f"n): {measures}.")
    redo.click(recompute, n, table, api_name="compare_recompute", **C.GPU,
               api_description=f"Every shipped model measured afresh on n samples: {measures}.")
    mine.click(evaluate_mine, n, table, api_name="compare_mine", **C.GPU,
               api_description=f"The model this session sent from the Train tab (Explore this model) measured on n "
               f"samples, below {measures}.")

    with gr.Accordion("Mode collapse: which digits does each model draw when you ask for any?", open=False):
        hist_btn = gr.Button("Draw the histogram", elem_id="cmp_hist_btn")
        hist = gr.Plot(elem_id="cmp_hist")
    hist_btn.click(collapse_histogram, None, hist, api_name="compare_histogram", **C.GPU,
                   api_description="Which digit each image model draws when asked for any, over 500 samples, beside "
                   "the held-out digits: a matplotlib bar chart.")
    with gr.Accordion("How it works", open=False):
        gr.Markdown(lessons.COMPARE_LESSON, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        gr.HTML(lessons.compare([C.pretrained(m).TITLE for m in IMAGE_MODELS]), elem_id="cmp_diagram")

    share.register("compare", [("seed", seed, C.seed),
                               ("label", label, share.choice("Class", ["any"] + [str(i) for i in range(10)]))])
    return [(side_by_side, [seed, label], [row_img, names])]
