"""The shared training engine (every family, tiny configs), resume, torchrun on CPU, the Train tab's handlers
and the tab in Chromium."""
from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch

import generators
from generators.data import Dataset, load_mnist, load_names, load_toy
from generators.gan import GAN
from generators.train import train
from ui import train as T

from conftest import sync_stream

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}

TINY = {
    "gan": ("8gaussians", dict(hidden=16, latent_dim=4)),
    "vae": ("mnist", dict(width=4, hidden=16, latent_dim=4)),
    "diffusion": ("8gaussians", dict(hidden=32)),
    "autoregressive": ("names", dict(n_layer=1, n_head=2, n_embd=16)),
}


def tiny_data(dataset: str) -> Dataset:
    if dataset == "mnist":
        d = load_mnist("train")
        return Dataset("mnist", "image", x=d.x[:64], y=d.y[:64], num_classes=10)
    if dataset == "names":
        d = load_names("names", "train")
        return Dataset("names", "text", texts=d.texts[:64])
    return load_toy(dataset, "train", n=256)


def tiny_model(family: str):
    dataset, kw = TINY[family]
    return generators.build(family, dataset, seed=0, **kw), tiny_data(dataset)


# ----------------------------------------------------------------------------- the engine
@pytest.mark.parametrize("family", list(TINY))
def test_engine_events_in_order_and_losses_finite(family):
    model, data = tiny_model(family)
    events = list(train(model, data, steps=6, batch_size=16, sample_every=3, n_samples=4))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and events[0]["total"] == 6
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert [e["step"] for e in events if e["event"] == "samples"] == [3, 6]
    for e in events:
        if e["event"] == "step":
            assert e["losses"] and all(math.isfinite(v) for v in e["losses"].values())
            assert e["steps_per_s"] > 0 and e["items_per_s"] == pytest.approx(e["steps_per_s"] * 16)


@pytest.mark.parametrize("family", ["vae", "diffusion", "autoregressive"])
def test_engine_loss_falls_on_a_toy_batch(family):
    model, data = tiny_model(family)
    key = {"vae": "loss", "diffusion": "loss", "autoregressive": "loss"}[family]
    losses = [e["losses"] for e in train(model, data, steps=60, batch_size=32, sample_every=0, lr=3e-3)
              if e["event"] == "step"]
    name = key if key in losses[0] else next(iter(losses[0]))
    first, last = np.mean([l[name] for l in losses[:8]]), np.mean([l[name] for l in losses[-8:]])
    assert last < first


def test_gan_discriminator_learns_on_a_toy_batch():
    model, data = tiny_model("gan")
    ev = [e["losses"] for e in train(model, data, steps=40, batch_size=64, sample_every=0, lr=5e-3) if e["event"] == "step"]
    assert np.mean([l["d_real"] - l["d_fake"] for l in ev[-8:]]) > np.mean([l["d_real"] - l["d_fake"] for l in ev[:3]])


def test_engine_time_limit_stops_the_run():
    model, data = tiny_model("gan")
    events = list(train(model, data, steps=10**6, batch_size=8, sample_every=0, time_limit=0.2))
    assert events[-1]["event"] == "done" and events[-1]["stopped"] == "time_limit" and events[-1]["step"] < 10**6


def test_cli_resume_continues_step_count_and_optimizer(tmp_path):
    common = [sys.executable, "-m", "generators", "train", "gan", "--checkpoint-every", "0", "--batch-size", "16"]
    subprocess.run(common + ["--dataset", "8gaussians", "--steps", "7", "--hidden", "16", "--out", str(tmp_path / "a")],
                   check=True, env=ENV, cwd=ROOT, capture_output=True)
    r = subprocess.run(common + ["--resume", str(tmp_path / "a.safetensors"), "--steps", "5", "--out", str(tmp_path / "b")],
                       env=ENV, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-500:]
    model, extra = generators.load(tmp_path / "b.safetensors", device="cpu", with_extra=True)
    assert model.meta["steps"] == 12 and model.meta["dataset"] == "8gaussians"
    assert float(extra["optim.G.0.step"]) == 12 and float(extra["optim.D.0.step"]) == 12   # Adam's t carried on


TORCHRUN = {   # every family, tiny, on the data it is shipped for (the GAN with its default 12 steps)
    "gan": ["--dataset", "8gaussians", "--steps", "12", "--batch-size", "16", "--hidden", "16"],
    "gan-mnist": ["--dataset", "mnist", "--steps", "3", "--batch-size", "8", "--ngf", "8", "--ndf", "8",
                  "--latent-dim", "8"],             # D's class head: its logits leave through DDP's forward
    "vae": ["--dataset", "mnist", "--steps", "4", "--batch-size", "8", "--width", "4", "--hidden", "16"],
    "diffusion": ["--dataset", "mnist", "--steps", "4", "--batch-size", "8", "--channels", "8"],
    "autoregressive": ["--dataset", "names", "--steps", "4", "--batch-size", "8", "--n-layer", "1", "--n-embd", "16"],
    "gaussian": ["--dataset", "8gaussians", "--steps", "4", "--batch-size", "16", "--components", "2"],
}


def test_every_registered_family_runs_under_torchrun():
    assert {run.split("-")[0] for run in TORCHRUN} == set(generators.REGISTRY)


DDP_DRIVER = """
import ast, sys
import torch.distributed as dist
from generators.__main__ import main
out, runs = sys.argv[1], ast.literal_eval(sys.argv[2])
dist.init_process_group("gloo")       # one group for every run: the CLI's main uses it and leaves it to us
for run, flags in runs.items():
    if main(["train", run.split("-")[0], *flags, "--checkpoint-every", "0", "--device", "cpu",
             "--out", f"{out}/{run}"]) != 0:
        sys.exit(1)
dist.destroy_process_group()
"""


def test_torchrun_two_processes_on_cpu(tmp_path):
    """Every family trains under torchrun with 2 gloo ranks: one launch runs them in turn (the CLI's main per
    family: a launch per family spent most of its time starting the processes)."""
    (tmp_path / "driver.py").write_text(DDP_DRIVER)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(tmp_path / "driver.py"), str(tmp_path), repr(TORCHRUN)]
    r = subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=600, start_new_session=True)
    assert r.returncode == 0, r.stderr[-1500:]
    for run, flags in TORCHRUN.items():
        model = generators.load(tmp_path / f"{run}.safetensors", device="cpu")
        assert model.meta["steps"] == int(flags[flags.index("--steps") + 1]) and model.name == run.split("-")[0]
    done = [line for line in r.stderr.splitlines() if line.startswith("done: ")]       # rank 0 alone reports
    assert len(done) == len(TORCHRUN) and all(line.endswith("on cpu ×2 ranks") for line in done), done


# ----------------------------------------------------------------------------- the tab's handlers
SETTINGS = dict(family="gan", dataset="8gaussians", upload=None, lr=None, batch=32, steps=40, latent=4, loss="bce",
                n_critic=None, beta=1.0, schedule=None, timesteps=None, n_layer=None, n_embd=None, seed=0, every=10,
                components=None)   # train_start's order: ui/train.py's FIRST_FIELDS, seed, every, LATER_FIELDS


def settings(**kw):
    return list({**SETTINGS, **kw}.values())


def test_training_steps_use_their_own_thread_count_and_leave_the_servers(monkeypatch):
    """app.py serves each request on one torch thread and gives the Train tab's steps torch's default: the
    setting is per OS thread (OpenMP), so a run on one worker thread never changes another thread's."""
    import threading

    from generators.threads import _libgomp, mkl_threads
    from ui import common as C

    if _libgomp() is None:
        pytest.skip("torch's OpenMP runtime here is not libgomp: thread counts are process-wide")
    from generators import train as engine

    seen, real_train = [], engine.train

    def counting(*args, **kwargs):                    # the real engine; records each event's thread count
        for ev in real_train(*args, **kwargs):
            seen.append((torch.get_num_threads(), mkl_threads() or 2))   # MKL: the matmuls
            yield ev

    monkeypatch.setattr(engine, "train", counting)
    monkeypatch.setattr(C, "TRAIN_THREADS", 2)
    result = {}

    def worker():                                     # like a Gradio worker thread serving with one torch thread
        torch.set_num_threads(1)
        before = torch.get_num_threads(), mkl_threads() or 1
        list(sync_stream(T.start(None, *settings(steps=12, every=6))))
        result["after"] = before, (torch.get_num_threads(), mkl_threads() or 1)

    process_wide = torch.get_num_threads()
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    torch.set_num_threads(process_wide)               # set_num_threads in the worker changed the default too
    assert seen and set(seen) == {(2, 2)}
    assert result["after"] == ((1, 1), (1, 1))


def test_start_streams_to_the_end_and_keeps_runs_for_comparison():
    outs = list(sync_stream(T.start(None, *settings())))
    r, status = outs[-1][0], outs[-1][1]
    assert "step 40 / 40" in status and "steps/s" in status and "cpu" in status and r.phase == "finished"
    fig = [o[4] for o in outs if "value" in o[4]][-1]    # the latest 2D figure sent (later outputs skip it)
    assert fig["value"] is not None and fig["visible"]   # the heatmap, shown beside the samples
    list(sync_stream(T.start(r, *settings(loss="hinge", steps=5))))
    df = T.curve_frame(r)
    assert {"run 1: d_loss", "run 2: d_loss"} <= set(df["series"])
    cmap = T.curve_update(r).color_map
    assert cmap["run 1: d_loss"] == "#c8c8c8" and cmap["run 2: d_loss"] != "#c8c8c8"


def test_pause_then_start_continues_and_step_once_steps_one():
    r = T.Run()
    gen = sync_stream(T.start(r, *settings(steps=10_000)))
    next(gen)
    T.pause(r)
    rest = list(gen)                                  # the chunk ends at its next step and gives the run back
    assert r.train is not None and r.phase == "paused" and "paused" in rest[-1][1]
    before = r.step
    assert r.train.step == before and r.history[-1][2] == before      # nothing trained is lost
    r2, status, *_ = T.step_once(r, *settings())
    assert r2.step == before + 1 and f"step {before + 1} / 10000" in status
    gen = sync_stream(T.start(r, *settings()))        # Start goes on from there
    next(gen)
    T.pause(r)
    list(gen)
    assert r.step > before + 1 and r.phase == "paused"
    T.stop(r)
    assert r.train is None and r.phase == "stopped" and r.model is not None


def test_stop_halts_a_running_stream_and_reset_clears():
    r = T.Run()
    gen = sync_stream(T.start(r, *settings(steps=10_000)))
    next(gen)
    T.stop(r)
    rest = list(gen)                                  # the chunk notices the stop at its next step: its last
    assert len(rest) <= 3 and r.phase == "stopped"     # update, the run handed back, the final state
    step = r.step
    time.sleep(0.3)
    assert r.step == step
    out = T.reset(r)
    assert out[0].history == [] and out[0].model is None and "step 0 / 0" in out[1]


def test_bad_settings_are_refused():
    with pytest.raises(gr.Error, match="Steps"):
        list(sync_stream(T.start(None, *settings(steps=10**9))))
    with pytest.raises(gr.Error, match="Family"):
        list(sync_stream(T.start(None, *settings(family="vit"))))
    with pytest.raises(gr.Error, match="GAN loss"):
        list(sync_stream(T.start(None, *settings(loss="l2"))))
    with pytest.raises(gr.Error, match="text"):           # a GAN cannot train on names
        list(sync_stream(T.start(None, *settings(dataset="names"))))


def test_bad_uploads_give_clear_errors(tmp_path):
    fake = tmp_path / "x.zip"
    fake.write_bytes(b"not a zip")
    few = tmp_path / "few.zip"
    with zipfile.ZipFile(few, "w") as zf:
        zf.writestr("a.png", b"not a png")
    short = tmp_path / "short.txt"
    short.write_text("ann\nbob\n")
    for path, msg in ((fake, "zip"), (few, "not a readable image"), (short, "at least 10"), (None, "Choose")):
        with pytest.raises(gr.Error, match=msg):
            list(sync_stream(T.start(None, *settings(dataset=T.UPLOAD, upload=str(path) if path else None))))
    pickled = generators.save_checkpoint(tiny_model("gan")[0], tmp_path / "m", dataset="8gaussians")
    pickled.write_bytes(b"\x80\x04\x95" + b"cos\nsystem\n" * 4)      # a pickle under the weights' name
    with pytest.raises(gr.Error, match="safetensors"):
        T.upload_checkpoint(None, [str(pickled), str(tmp_path / "m.json")])
    with pytest.raises(gr.Error, match="both"):
        T.upload_checkpoint(None, [str(tmp_path / "m.json")])


def test_uploaded_images_and_text_train(tmp_path):
    from PIL import Image
    z = tmp_path / "digits.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(12):
            buf = io.BytesIO()
            Image.fromarray(np.full((40, 30), 255 - 10 * i, np.uint8)).save(buf, format="PNG")
            zf.writestr(f"d/{i}.png", buf.getvalue())
    data = T.load_upload(str(z))
    assert data.x.shape == (10, 1, 28, 28) and float(data.x.mean()) < 0.5      # 12 minus the held-out 2, inverted
    outs = list(sync_stream(T.start(None, *settings(family="vae", dataset=T.UPLOAD, upload=str(z), steps=2,
                                                    latent=None, every=1))))
    assert "step 2 / 2" in outs[-1][1] and outs[-1][3] is not None
    txt = tmp_path / "pets.txt"
    txt.write_text("\n".join(["rex", "fido", "luna", "max", "bella", "coco", "milo", "nala", "oscar", "ruby", "kiki"]))
    outs = list(sync_stream(T.start(None, *settings(family="autoregressive", dataset=T.UPLOAD, upload=str(txt),
                                                    steps=2, latent=None, n_layer=1, n_embd=16, every=1))))
    shown = [o[5] for o in outs if "value" in o[5]][-1]                  # the text box, shown with the names
    assert "step 2 / 2" in outs[-1][1] and shown["value"] and shown["visible"]


def test_download_upload_roundtrip_and_explore(tmp_path):
    r = list(sync_stream(T.start(None, *settings(steps=5))))[-1][0]
    path = T.download(r)
    assert path.endswith(".zip")
    r2, status = T.upload_checkpoint(None, [path])
    assert r2.model.name == "gan" and "step 5" in status
    for k, v in r.model.state_dict().items():
        assert torch.equal(v, r2.model.state_dict()[k])

    class Req:
        session_hash = "abc"
    assert "Compare tab" in T.explore(r2, Req())
    assert T.explored_model(Req(), "gan") is r2.model and T.explored_model(Req(), "vae") is None
    from ui import compare
    table = compare.evaluate_mine(50, Req())                       # the Compare tab measures it
    assert table.iloc[-1]["model"] == "yours (gan)"
    floors = len(compare.IMAGE_GROUPS) + ("melody" in compare.ROWS)                  # the held-out songs' row too
    assert len(table) == len(compare.ALL_MODELS) + floors + 1                         # + the floors, + yours


class OOMGAN(GAN):
    """A family whose step runs out of GPU memory (simulated on CPU)."""

    def losses(self, batch, *, generator):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def test_cuda_out_of_memory_is_reported_freed_and_next_run_works():
    r = T.Run()
    model = OOMGAN(GAN.config_for("8gaussians", hidden=8))
    T.begin(r, model, load_toy("8gaussians", "train", n=64), family="gan", steps=5, batch=8, lr=None, seed=0, every=1)
    with pytest.raises(gr.Error, match="Out of GPU memory"):
        list(T.advance(r))
    assert r.model is None and r.train is None and "memory" in r.phase
    outs = list(sync_stream(T.start(r, *settings(steps=3))))
    assert "step 3 / 3" in outs[-1][1]


def test_family_dropdown_lists_buildable_families():
    fams = T.available_families()
    assert "gan" in fams and set(fams) <= set(generators.REGISTRY)
    assert "names" not in T.datasets_for("gan") and "names" in T.datasets_for("autoregressive")


# ----------------------------------------------------------------------------- in Chromium
def test_train_tab_in_chromium(page):
    from conftest import open_tab

    open_tab(page, "Train")
    page.locator("#train_steps input").fill("20000")
    page.locator("#train_every input").fill("20")
    page.locator("#train_start").click()

    def step():
        txt = page.locator("#train_status").inner_text()
        import re
        m = re.search(r"step (\d+) / (\d+)", txt)
        return int(m.group(1)) if m else -1

    page.wait_for_function("() => /step [1-9]\\d* \\/ 20000/.test(document.querySelector('#train_status').innerText)")
    first = step()
    page.wait_for_function(f"() => +(/step (\\d+) \\//.exec(document.querySelector('#train_status').innerText)[1]) > {first}")
    page.wait_for_function("() => document.querySelector('#train_curve canvas, #train_curve svg')")
    page.locator("#train_stop").click()
    page.wait_for_function("() => /stopped/.test(document.querySelector('#train_status').innerText)", timeout=20_000)   # a loaded CI machine; the halt itself is asserted below
    halted = step()
    time.sleep(1.5)
    assert step() == halted and halted < 20000
    page.screenshot(path=str(page.screenshot_dir / "train_tab.png"), full_page=True)
    assert not page.errors


@pytest.mark.parametrize("family", ["gan", "vae"])
def test_engine_mixed_precision_path_gives_finite_losses(family):
    """The bf16 autocast used on CUDA, exercised on the CPU."""
    model, data = tiny_model(family)
    events = list(train(model, data, steps=3, batch_size=8, sample_every=0, amp=True))
    assert events[0]["amp"] is True
    assert all(math.isfinite(v) for e in events if e["event"] == "step" for v in e["losses"].values())


def test_concurrent_run_cap_tells_waiting_sessions_their_place():
    keys = [10**9 + i for i in range(T.MAX_RUNS + 2)]
    try:
        assert [T._try_slot(k) for k in keys[:T.MAX_RUNS]] == [0] * T.MAX_RUNS
        assert T._try_slot(keys[-2]) == 1 and T._try_slot(keys[-1]) == 2
        T._release(keys[0])
        assert T._try_slot(keys[-1]) == 2 and T._try_slot(keys[-2]) == 0     # first in line gets the slot
    finally:
        for k in keys:
            T._release(k)


class FaultyGAN(GAN):
    """Fault injection: the third training step raises (a bug, a NaN check, a driver error)."""

    def losses(self, batch, *, generator):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == 3:
            raise RuntimeError("cuDNN error: CUDNN_STATUS_INTERNAL_ERROR")
        return super().losses(batch, generator=generator)


@pytest.mark.parametrize("fault", [FaultyGAN, OOMGAN])
def test_any_fault_in_a_run_is_reported_its_memory_freed_and_the_next_run_works(fault):
    import gc
    import weakref

    r = T.Run()
    model = fault(GAN.config_for("8gaussians", hidden=8))
    alive = weakref.ref(model)
    T.begin(r, model, load_toy("8gaussians", "train", n=64), family="gan", steps=50, batch=8, lr=None, seed=0,
            every=1)
    del model
    with pytest.raises(gr.Error, match="memory freed") as e:
        list(T.advance(r))
    assert "\n" not in str(e.value) and (fault is OOMGAN or "step 3" in str(e.value))
    del e
    gc.collect()
    assert alive() is None, "the failed run's model is still referenced"
    assert r.model is None and r.train is None and r.phase.startswith("error")
    outs = list(sync_stream(T.start(r, *settings(steps=3))))                      # the same session starts afresh
    assert "step 3 / 3" in outs[-1][1] and "finished" in outs[-1][1]


def _browser_start(app_url, session: str, data: list):
    """What the page does on Start: queue/join, then read the queue/data stream → (connection, response)."""
    import http.client
    import json
    import urllib.parse

    import app

    u = urllib.parse.urlparse(app_url)
    fn_index = next(i for i, fn in app.demo.fns.items() if fn.api_name == "train_start")
    join = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    join.request("POST", "/gradio_api/queue/join", json.dumps({"data": data, "fn_index": fn_index,
                 "session_hash": session, "event_data": None, "trigger_id": None}),
                 {"Content-Type": "application/json"})
    assert join.getresponse().status == 200
    stream = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    stream.request("GET", f"/gradio_api/queue/data?session_hash={session}")
    return stream, stream.getresponse()


def _wait_until_free(deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while (T._SLOTS or T._WAITING) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_closed_tab_ends_its_run_and_frees_its_training_slot(app_url):
    """The browser's protocol (queue/join, then the queue/data stream); closing the stream = closing the tab."""
    stream, r = _browser_start(app_url, "closedtab", [None, *settings(steps=20000, every=25)])
    updates = 0
    while updates < 4:                                   # the run is streaming progress
        line = r.fp.readline()
        assert line, "stream ended early"
        updates += line.startswith(b"data:") and b"process_generating" in line
    assert T._SLOTS, "a running run holds a training slot"
    r.close()                                            # the tab is closed: its connection goes away
    stream.close()
    _wait_until_free()
    assert not T._SLOTS, "the closed tab's run kept its training slot"


def test_a_class_pressing_start_at_once_is_told_running_or_its_place_with_an_estimate(app_url):
    """30 students press Start together: MAX_RUNS run, every other one is told its place in line (each place
    once) and then an estimate; closing the tabs frees every slot and place, and the next Start runs."""
    import re
    import threading

    n = 30
    answers, errors = {}, []

    def student(k):
        try:
            stream, r = _browser_start(app_url, f"class{k}", [None, *settings(steps=20000, every=25, seed=k)])
            first = None
            while True:                                  # the first update, then (waiting) one with an estimate
                line = r.fp.readline().decode(errors="replace")
                assert line, f"student {k}: the stream ended"
                if not line.startswith("data:") or "process_generating" not in line:
                    assert "process_completed" not in line, line[:300]
                    continue
                first = first or re.search(r"\*\*(running|waiting:[^*]*)\*\*", line).group(1)
                if first == "running" or re.search(r"in line \(about \d+ (s|min)\)", line):
                    break
            answers[k] = (first, stream, r)
        except Exception as e:  # collected, asserted below
            errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=student, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)                                      # a hang fails here instead of hanging the suite
    try:
        assert not errors and not any(t.is_alive() for t in threads), errors[:3]
        first = [a for a, _, _ in answers.values()]
        assert first.count("running") == T.MAX_RUNS, first
        places = sorted(int(re.search(r"number (\d+) in line", a).group(1)) for a in first if a != "running")
        assert places == list(range(1, n - T.MAX_RUNS + 1)), places
    finally:
        for _, stream, r in answers.values():           # every tab closed
            r.close()
            stream.close()
    _wait_until_free()
    assert not T._SLOTS and not T._WAITING, (T._SLOTS, T._WAITING)
    stream, r = _browser_start(app_url, "after-class", [None, *settings(steps=20000, every=25)])
    try:
        while b"process_generating" not in (line := r.fp.readline()):
            assert line, "the stream ended"
        assert b"**running**" in line, line[:300]
    finally:
        r.close()
        stream.close()
    _wait_until_free()


def test_a_fresh_run_on_mnist_trains_with_the_clis_default_recipe():
    """The Train tab's Start on MNIST uses the family's 2-core recipe (warmup, schedule, EMA), as
    `python -m generators train vae --dataset mnist` does; 2D data keeps the plain one."""
    from generators.recipe import Recipe, run_defaults

    mnist = settings(family="vae", dataset="mnist", steps=2, latent=None, every=1)
    r = list(sync_stream(T.start(None, *mnist)))[-1][0]
    recipe = r.optimizers.recipe
    want = run_defaults(r.model, "mnist").recipe
    assert (recipe.warmup, recipe.schedule, recipe.ema_decay) == (want.warmup, want.schedule, want.ema_decay)
    assert recipe != Recipe() and recipe.warmup > 0
    r = list(sync_stream(T.start(None, *settings(steps=2))))[-1][0]                    # gan on 8gaussians
    assert (r.optimizers.recipe.warmup, r.optimizers.recipe.schedule) == (Recipe().warmup, Recipe().schedule)


def test_a_costly_figure_is_held_back_while_running_and_drawn_once_the_run_pauses_or_ends():
    """outputs() keeps the 2D figure (a VAE's encoded digits: ~0.1–0.5 s) to FIGURE_SHARE of a running run's
    time, so the tab keeps the CLI's pace; the sample grid follows every preview, and a paused or finished run
    shows its latest figure."""
    r = T.Run()
    # a run far longer than the pause lands in: a quiet machine trains ~100 VAE steps before the stream's first
    # update (one a second), and 40 steps let the 3 below reach the end, where a finished run draws its figure
    stream = sync_stream(T.start(r, *settings(family="vae", dataset="mnist", steps=5000, latent=None, every=2)))
    next(stream)
    T.pause(r)
    list(stream)
    assert r.phase == "paused" and r.figure_drawn == r.drawn        # drawn: the run is not running
    assert r.step + 3 < 5000, r.step
    r.phase, r.figure_cost = "running", 100.0                       # pretend a figure costs 100 s
    list(T.advance(r, max_steps=3))                                 # a new preview arrives (step 4)
    out = T.outputs(r)
    assert out[3] is not None and not isinstance(out[3], type(gr.skip()))   # the new sample grid
    assert out[4] == gr.skip() and r.figure_drawn != r.drawn        # the figure waits
    r.phase = "paused"
    out = T.outputs(r)
    assert out[4]["value"] is not None and out[4]["visible"] and r.figure_drawn == r.drawn
    T.stop(r)


def test_choosing_a_dataset_shows_the_runs_real_defaults():
    """Steps and Batch follow the family's RunDefaults for the chosen data (what Start and the CLI with no
    flags train with), the learning rate and the family's own settings its config for that data (real values,
    not a "0: default" code); the other families' settings, an upload or a bad value leave the fields alone."""
    import json

    from generators.recipe import run_defaults

    skip = type(gr.skip())
    for family, dataset in (("diffusion", "mnist"), ("gan", "mnist"), ("gan", "8gaussians"), ("autoregressive", "names")):
        rd = run_defaults(generators.REGISTRY[family], dataset)
        config = generators.REGISTRY[family].config_for(dataset)
        steps, batch, lr, *values = T.dataset_changed(family, dataset)
        assert (steps, batch, lr) == (rd.steps, rd.batch_size, config.lr)
        for name, v in zip(T.FIELDS, values):
            assert isinstance(v, skip) if not hasattr(config, name) else v == getattr(config, name)
    assert T.dataset_changed("gan", "8gaussians")[3] != T.dataset_changed("gan", "mnist")[3]   # latent 8 vs 64
    for bad in (("gan", T.UPLOAD), ("gan", "no-such-set"), ("nope", "mnist")):
        assert all(isinstance(v, skip) for v in T.dataset_changed(*bad))
    js = T.defaults_js()                                  # what the page runs on dataset.change
    for family in T.available_families():
        for dataset in T.datasets_for(family):
            assert f'"{dataset}": {json.dumps(T._js_values(T.dataset_changed(family, dataset)))}' in js
