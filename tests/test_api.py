"""The API as a gradio_client user meets it ("Use via API", issue 32): every parameter named as the page's links or
the CLI name it and defaulting to the page's value, every endpoint described, every named event answering its
defaults (or a sentence saying what it needs first), a training run streamed, cancelled and started again, and the
README's "Call it from Python" example run as written."""
from __future__ import annotations

import contextlib
import io
import re
import time
import zipfile
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

ROOT = Path(__file__).resolve().parent.parent
README_URL = "http://127.0.0.1:7860/"          # what the README's example connects to; the test's server instead

Z, RAW, VZ = [f"z{i}" for i in range(8)], [f"raw{i}" for i in range(16)], [f"vz{i}" for i in range(16)]
# the endpoints whose parameters were param_N (gan_render's first three and the rest were named already)
NAMES = {
    "/gan_render": ["seed", "label", "truncation", *Z, *RAW, "world"],
    "/gan_render_seed": ["seed", "label", "truncation", *Z, *RAW, "world"],
    "/vae_render": [*VZ, "world", "label"],
    "/train_start": ["family", "dataset", "upload", "lr", "batch_size", "steps", "latent_dim", "loss", "n_critic",
                     "beta", "schedule", "timesteps", "n_layer", "n_embd", "seed", "sample_every", "components"],
}
STREAMS = {"/diffusion_watch", "/train_start"}      # read for a few updates, then cancelled
# what a named event called with its defaults in a fresh session needs first, in its own words
NEEDS_FIRST = {
    "/vae_map_click": "This event answers a click on the latent map and needs its position, which an API call "
                      "cannot send.",
    "/vae_encode": "Draw a digit first.",
    "/vae_resample": "Draw a digit first.",
    "/autoregressive_force": "Pick one of the characters shown.",
    "/train_download": "Train or upload a model first",
    "/train_timelapse": "Train an image or 2D model first: the timelapse is made of its previews (text models show "
                        "names instead).",
    "/train_curves_csv": "Train a model first: there are no loss curves yet.",
    "/compare_mine": "Train a model in the Train tab and press 'Explore this model' first.",
    "/autoregressive_melody_force": "Pick one of the notes shown.",
    "/train_melodies": "Train a melody model (a dataset of songs: han, german, or your .abc / .mid) to hear its "
                       "samples.",
}


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def api(client):
    return client.view_api(return_format="dict", print_info=False)["named_endpoints"]


def _named_events():
    import app

    return {f"/{fn.api_name}": fn for fn in app.demo.fns.values() if fn.api_name and fn.api_visibility == "public"}


def test_every_parameter_has_a_name_a_user_would_type_and_the_pages_default(client, api):
    assert not re.search(r"\bparam_\d+\b", client.view_api(return_format="str", print_info=False))
    for name, want in NAMES.items():
        assert [p["parameter_name"] for p in api[name]["parameters"]] == want, name
    from ui import share

    for tab, params in share.PARAMS.items():              # a link endpoint takes the link's own parameters
        if f"/{tab}_link" in api:
            assert [p["parameter_name"] for p in api[f"/{tab}_link"]["parameters"]] == [p.name for p in params]
    events = _named_events()
    assert set(api) == set(events)
    for name, info in api.items():
        params = info["parameters"]
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", p["parameter_name"]) for p in params), name
        assert len({p["parameter_name"] for p in params}) == len(params), name
        assert all(p["parameter_has_default"] for p in params), name       # an empty upload or drawing: None
        page = [c.value for c in events[name].inputs if not isinstance(c, gr.State)]
        assert [p["parameter_default"] for p in params] == page, name
    assert [p["parameter_default"] for p in api["/train_start"]["parameters"]][2] is None     # the upload slot


def test_every_endpoint_says_what_it_takes_and_returns(api):
    for name, info in api.items():
        text = info["description"]
        assert 40 <= len(text) <= 400 and "\n" not in text, (name, text)
    for name in STREAMS:
        assert "each update" in api[name]["description"], name


@pytest.fixture
def quick_measures(monkeypatch):
    """The Compare tab's measurements (16–34 s each here: every shipped model sampled and read by the feature
    network; tests/test_compare.py checks them) replaced by the numbers the checkpoints ship with, for the calls
    below: what is tested here is the call, its defaults and its answer. Its cache is the test's own."""
    import torch

    from ui import compare

    monkeypatch.setattr(compare, "_TABLE", {})
    monkeypatch.setattr(compare, "_measure", lambda models, n: {
        row: {**compare.shipped_metrics(name), "n_samples": n} for row, name in models.items()})
    monkeypatch.setattr(compare, "_class_counts", lambda names, n: [torch.full((10,), n / 10) for _ in names])


def test_every_named_event_answers_its_defaults_or_says_what_it_needs_first(client, api, quick_measures):
    from ui import i18n

    answered, refused = {}, {}
    for name in api:
        client.reset_session()                             # a fresh visitor each time: no run, no drawing yet
        try:
            if name in STREAMS:
                job = client.submit(api_name=name)
                updates = []
                for update in job:
                    updates.append(update)
                    if len(updates) == 3:
                        break
                job.cancel()
                answered[name] = updates
                assert updates, name
            else:
                answered[name] = client.predict(api_name=name)
        except AppError as e:
            refused[name] = e.message
    assert refused == NEEDS_FIRST
    assert all(i18n.translate(message) for message in refused.values())    # each one in Chinese too
    assert all(answered[name] is not None for name in answered)
    png = Path(answered["/gan_render"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_error_in_the_callers_language(app_url):
    zh = Client(app_url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}, verbose=False)
    for name, chinese in (("/vae_map_click", "这个事件响应潜在空间地图上的点击，需要点击的位置，而 API 调用无法发送它。"),
                          ("/vae_encode", "请先写一个数字。")):
        with pytest.raises(AppError) as e:
            zh.predict(api_name=name)
        assert e.value.message == chinese


def test_names_fill_the_positions_they_always_had(client):
    by_position = client.predict(7, "3", 0.95, 1.5, *[0.0] * 23, "digits", api_name="/gan_render")
    by_name = client.predict(seed=7, label="3", z0=1.5, api_name="/gan_render")
    assert Path(by_position).read_bytes() == Path(by_name).read_bytes()
    by_position = client.predict(0.5, -1.0, *[0.0] * 14, "digits", "0", api_name="/vae_render")
    by_name = client.predict(vz0=0.5, vz1=-1.0, api_name="/vae_render")
    assert Path(by_position).read_bytes() == Path(by_name).read_bytes()


def _step(update) -> int:
    return int(re.search(r"step (\d+) / \d+", update[0])[1])


def _updates_then_cancel(client, n: int = 3, **settings) -> list:
    """The first n updates of a train_start call, then the call cancelled (and seen to end)."""
    job = client.submit(api_name="/train_start", **settings)
    updates = []
    for update in job:
        updates.append(update)
        if len(updates) == n:
            break
    job.cancel()
    deadline = time.monotonic() + 30
    while not job.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.done()
    return updates


def test_a_training_run_streams_is_cancelled_and_the_next_one_starts(app_url):
    from ui import train

    client = Client(app_url, verbose=False)
    busy = len(train._SLOTS)
    updates = _updates_then_cancel(client)                  # the page's run: a GAN on 8 Gaussians, 2000 steps
    status, curves, samples, view_2d, texts = updates[-1]   # what each update holds
    assert status.startswith("**running**") and " / 2000 " in status
    assert curves["value"]["columns"] == ["step", "loss", "series"] and curves["value"]["data"]
    # 2D points: the 2D view, no picture grid. While a run runs the figure is redrawn only when its cost is paid
    # for (ui/train_views.py outputs), so an update may leave it as it was ({"__type__": "update"}): the first
    # update with samples draws it, and no update ever sends a picture grid.
    assert any("'matplotlib'" in str(u[3]) for u in updates), [u[3] for u in updates]
    assert all(u[2] is None or u[2] == {"__type__": "update"} for u in updates), [u[2] for u in updates]
    steps = [_step(u) for u in updates]
    assert 0 < steps[0] <= steps[1] <= steps[2] < 2000, steps
    deadline = time.monotonic() + 10
    while len(train._SLOTS) > busy and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(train._SLOTS) <= busy, "the cancelled run still holds its training slot"
    other = Client(app_url, verbose=False)                  # another visitor's run starts at once
    assert _step(_updates_then_cancel(other, 1, steps=500)[0]) > 0
    # This session's next Start goes on from where the run stopped
    again = _updates_then_cancel(client, 2)
    assert all(u[0].startswith("**running**") for u in again) and _step(again[0]) >= steps[-1], [u[0] for u in again]


def test_a_start_right_after_a_cancel_continues_the_run(app_url):
    """A cancelled Start's update may still be training on a worker thread: the next Start waits for it and closes
    that stream first (ui/train_stream.py close_stream), so the run never trains on two threads at once."""
    client = Client(app_url, verbose=False)
    before = _step(_updates_then_cancel(client)[-1])
    again = _updates_then_cancel(client, 2)
    assert all(u[0].startswith("**running**") for u in again) and _step(again[0]) >= before, [u[0] for u in again]


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Call it from Python", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def test_the_readme_example_runs_as_written(app_url):
    code = _readme_example()
    assert code.count(README_URL) == 1
    out, env = io.StringIO(), {}
    with contextlib.redirect_stdout(out):
        exec(compile(code.replace(README_URL, app_url + "/"), "README.md", "exec"), env)
    assert Path(env["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = out.getvalue().splitlines()
    poem = lines[lines.index(next(line for line in lines if line.startswith("春"))):][:2]
    verses = re.findall(r"[^，。]+", "".join(poem))
    assert [v[0] for v in verses] == list("春夏秋冬") and all(len(v) == 5 for v in verses), poem
    assert env["status"].startswith("**finished** · step 300 / 300"), env["status"]
    with zipfile.ZipFile(env["model_zip"]) as z:
        assert sorted(Path(n).suffix for n in z.namelist()) == [".json", ".safetensors"]
