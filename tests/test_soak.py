"""A short classroom soak (the long one is `python -m bench.soak --classroom --users 30 --minutes 2`): 30
students each sending what a student's page sends (renders, grids, names, diffusion digits, links, an upload),
two of them training through the Train tab's named event, hostile requests mixed in, against a real
`python app.py` in a subprocess; then a queue flood. Asserts on the health report, never on speed."""
from __future__ import annotations

import pytest

from app import QUEUE_MAX
from bench.soak import CLASSROOM, run, unhandled_exceptions
from ui.train import WAITING_ROOM


def test_log_parser_tells_crashes_from_gr_errors():
    log = ("Traceback (most recent call last):\n  File \"x\", line 1\n    raise gr.Error('Seed must be')\n"
           "gradio.exceptions.Error: 'Seed must be between 0 and 9'\n"
           "Traceback (most recent call last):\n  File \"y\", line 2\nValueError: invalid literal for int()\n")
    assert unhandled_exceptions(log) == ["ValueError: invalid literal for int()"]


FLOOD = QUEUE_MAX + WAITING_ROOM + 12        # more Starts at once than the Train lane handles plus the queue holds


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return run(minutes=0.4, users=30, trainers=2, train_steps=100, workdir=tmp_path_factory.mktemp("soak"),
               flood_n=FLOOD, classroom=True)


def test_soak_serves_everyone_without_unhandled_exceptions(report):
    assert report["calls"] > 100 and report["errors"] == 0, report["error_kinds"]     # "busy" (503) is allowed
    assert set(report["latency_ms"]) == {name for name, _ in CLASSROOM}              # every kind of request went out
    assert report["hostile"] > 0 and report["hostile_answered"] == report["hostile"]
    assert report["train_runs"] >= 1 and report["train_failed"] == 0, report["error_kinds"]
    assert report["unhandled_exceptions"] == [], report["unhandled_exceptions"][:5]
    assert report["still_serving"]
    assert report["events_checked"] >= 35 and report["events_changed_after"] == []   # every event, as before


def test_soak_memory_and_temp_files_bounded(report):
    # images are cached by content, so the cache is bounded by the distinct pictures, not by the calls: 120 slider
    # positions each for gan and vae, 50 seeds each for the two grids and the diffusion digit, 40 drawings
    # uploaded and their 2 pictures each; 60 more for previews and downloads
    assert report["temp_files_end"] <= 2 * 120 + 3 * 50 + 3 * 40 + 60, report["temp_files_end"]
    assert report["temp_files_end"] < report["calls"]
    assert report["rss_end_mb"] - report["rss_start_mb"] < 1024, report        # no runaway growth


def test_full_queue_refuses_politely(report):
    f = report["flood"]
    # the queue holds QUEUE_MAX waiting jobs; the Train lane may already be handling WAITING_ROOM more (2 running,
    # the rest told their place in line: these runs are long, so none ends during the flood)
    assert f["other"] == [] and f["accepted"] <= QUEUE_MAX + WAITING_ROOM, f
    assert f["refused_503"] == FLOOD - f["accepted"] >= 1, f
    assert all("Queue is full" in m for m in f["messages"]), f


CLEANUP_APP = r'''
import json, os, sys, time, urllib.request
import gradio as gr
import numpy as np
from ui import common as C

def download(x):                       # what every Download button does
    return C.temp_file(b"model bytes", f"model-{int(x)}.zip")

def picture(x):                        # what every image output does (through our atomic cache write)
    return np.full((8, 8), int(x) % 255, np.uint8)

with gr.Blocks(delete_cache=(1, 2)) as demo:            # the app's (600, 1800), scaled down
    n, f, img = gr.Number(), gr.File(), gr.Image(format="png")
    n.submit(download, n, f, api_name="download", queue=False)
    n.change(picture, n, img, api_name="picture", queue=False)
demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), prevent_thread_lock=True, quiet=True)
for api in ("download", "picture"):
    req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/gradio_api/run/{api}",
                                 data=json.dumps({"data": [3]}).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=60).read()
count = lambda: sum(len(fs) for _, _, fs in os.walk(os.environ["GRADIO_TEMP_DIR"]))
before = count()
deadline = time.monotonic() + 60
while count() and time.monotonic() < deadline:
    time.sleep(0.5)
print(json.dumps({"before": before, "after": count()}))
demo.close()
'''


def test_delete_cache_removes_our_downloads_and_pictures(tmp_path):
    """delete_cache (set on the app) also cleans what C.temp_file and the atomic image cache write: run in its
    own process and temp folder, so the cleaning touches no other test's files."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from conftest import free_port

    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-c", CLEANUP_APP, str(free_port())], cwd=root, capture_output=True,
                       text=True, timeout=180, env={**os.environ, "GRADIO_TEMP_DIR": str(tmp_path),
                                                    "OMP_NUM_THREADS": "1", "PYTHONPATH": str(root)})
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(next(ln for ln in r.stdout.splitlines() if ln.startswith('{"before"')))
    assert out["before"] >= 2 and out["after"] == 0, out
