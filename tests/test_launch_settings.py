"""Launch settings for public use (SECURITY.md): what `python app.py`, the tests and the bench all launch with."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_launch_kwargs_are_safe_for_a_public_space():
    import app

    kw = app.LAUNCH_KWARGS
    assert not kw.get("share"), "share=True downloads a tunnel binary and exposes the app"
    assert kw.get("max_file_size") == "20mb"
    assert not kw.get("allowed_paths"), "no allowed_paths: Gradio serves only its own cache (and static paths)"
    assert not kw.get("auth") or callable(kw.get("auth"))         # never a password in the source
    assert kw.get("show_error") is True                           # gr.Error messages reach the user


def test_demo_config_analytics_queue_and_concurrency(app_url):
    import os

    import app

    d = app.demo
    assert d.analytics_enabled is False and os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert d.max_file_size == 20 * 1024 * 1024                    # applied by launch()
    assert d._queue.max_size == app.QUEUE_MAX == 64
    assert d.state_session_capacity == app.SESSIONS_MAX == 1000        # sessions kept: ~0.6 MB of config each
    assert d.delete_cache and d.delete_cache[0] > 0 and d.delete_cache[1] > 0
    queued = [fn for fn in d.fns.values() if fn.queue]
    assert queued
    from ui.train import MAX_RUNS, WAITING_ROOM

    for fn in queued:                    # every queued (heavy) event is bounded: its own limit or the lane's
        limit = fn.concurrency_limit
        if fn.api_name == "train_start":     # its own lane: a class's Starts are handled at once, MAX_RUNS run
            assert fn.concurrency_id == "train" and limit == WAITING_ROOM == 32 and MAX_RUNS == 2
            continue
        assert limit == "default" and d._queue.default_concurrency_limit == 2 or isinstance(limit, int) \
            and 1 <= limit <= 2, (fn.api_name, limit)
    gpu = {fn.api_name for fn in queued if fn.concurrency_id == "gpu"}
    assert {"diffusion_render", "diffusion_watch", "compare_table"} <= gpu and "train_start" not in gpu


def test_no_share_and_gradio_pinned_in_the_sources():
    for p in [ROOT / "app.py", *ROOT.glob("ui/*.py"), *ROOT.glob("bench/*.py"), *ROOT.glob("generators/*.py")]:
        assert not re.search(r"share\s*=\s*True", p.read_text()), p
    req = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^gradio==6\.31\.0$", req, re.M), "gradio must be pinned to a reviewed release"
    import gradio
    assert gradio.__version__ == "6.31.0"
