"""A short soak (the long one is `python -m bench.soak`): users dragging sliders, a training run through the
Train tab's named event and hostile requests mixed in, against a real `python app.py` in a subprocess; then
a queue flood. Asserts on the health report, never on speed."""
from __future__ import annotations

import pytest

from bench.soak import run, unhandled_exceptions


def test_log_parser_tells_crashes_from_gr_errors():
    log = ("Traceback (most recent call last):\n  File \"x\", line 1\n    raise gr.Error('Seed must be')\n"
           "gradio.exceptions.Error: 'Seed must be between 0 and 9'\n"
           "Traceback (most recent call last):\n  File \"y\", line 2\nValueError: invalid literal for int()\n")
    assert unhandled_exceptions(log) == ["ValueError: invalid literal for int()"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return run(minutes=0.4, users=4, trainers=1, train_steps=100, workdir=tmp_path_factory.mktemp("soak"),
               flood_n=72)


def test_soak_serves_everyone_without_unhandled_exceptions(report):
    assert report["calls"] > 50 and report["errors"] == 0, report["error_kinds"]
    assert report["hostile"] > 0 and report["hostile_answered"] == report["hostile"]
    assert report["train_runs"] >= 1 and report["train_failed"] == 0, report["error_kinds"]
    assert report["unhandled_exceptions"] == [], report["unhandled_exceptions"][:5]
    assert report["still_serving"]


def test_soak_memory_and_temp_files_bounded(report):
    # images are cached by content and the drags cycle through 120 slider positions per event: the cache is
    # bounded by the distinct pictures, not by the number of calls
    assert report["temp_files_end"] <= 3 * 120 + 60, report["temp_files_end"]
    assert report["temp_files_end"] < report["calls"]
    assert report["rss_end_mb"] - report["rss_start_mb"] < 1024, report        # no runaway growth


def test_full_queue_refuses_politely(report):
    f = report["flood"]
    # the queue holds 64 waiting jobs; the 2 training slots may already have taken 2 more
    assert f["other"] == [] and f["accepted"] <= 64 + 2 and f["refused_503"] == 72 - f["accepted"] >= 1, f
    assert all("Queue is full" in m for m in f["messages"]), f
