"""The app as on a Hugging Face ZeroGPU Space (the real `spaces` package, its device API stubbed: tests/zerogpu.py):
every named event answers as on a plain CPU server, the main process never reaches CUDA, and when the device API
refuses a GPU (quota spent, none free) the events still answer, on the CPU.

    python -m pytest tests/test_zerogpu.py        # needs requirements-dev.txt (spaces==0.51.3)
"""
from __future__ import annotations

import importlib.util
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from zerogpu import call_every_named_event, ip_token, zerogpu_app

pytestmark = pytest.mark.skipif(importlib.util.find_spec("spaces") is None,
                                reason="the `spaces` package is not installed: pip install -r requirements-dev.txt")

# CI time: the module calls every event four times (plain server, then ZeroGPU granting, over quota, with no
# GPU). At their defaults, a 2,000-step training run and the two metric tables at 200 samples per model took
# ~2 of the ~3 minutes of one pass here (2 cores); these smaller values take the same code paths.
OVERRIDES = {
    "/train_start": {"Steps": 50},
    "/compare_table": {"Samples per model": 50},
    "/compare_recompute": {"Samples per model": 50},
    "/compare_mine": {"Samples per model": 50},
}


def _mask(pattern: str, mask: str):
    return lambda text: re.sub(pattern, mask, text)


# The Train tab's status line on ZeroGPU ends with a notice the plain server has not: the GPU seconds the run spent
# of the visitor's quota, or why it went on on the CPU (generators/device.py REFUSALS). Each seen is kept here and
# taken off before the answers are compared; the tests check that the right one was there.
NOTICES: set[str] = set()
NOTICE = re.compile(r" · (\d+ s of your GPU quota spent|[^·*']*so this runs on the CPU\.)")


def _train_status(text: str) -> str:
    NOTICES.update(m.group(1) for m in NOTICE.finditer(text))
    return re.sub(r"\d+(\.\d+)? steps/s", "# steps/s", NOTICE.sub("", text))        # and the speed, a timing


# Answers that report wall-clock time, which differs between any two runs; only those numbers are masked.
NORMALISE = {
    "/diffusion_compare": _mask(r"\d+\.\d+ s\b", "#.## s"),                 # "HEUN-100: 0.98 s · EULER-25: …"
    "/train_start": _train_status,
    # the tables' last column, "ms per sample": the last cell of each row
    "/compare_table": _mask(r"'\d+\.\d+'\)", "'#')"),
    "/compare_recompute": _mask(r"'\d+\.\d+'\)", "'#')"),
}


def every_event(url: str, headers: dict | None = None) -> dict:
    """Each pass in a session of its own (a new Client), so no pass sees what an earlier one left behind."""
    from gradio_client import Client

    client = Client(url, headers=headers, verbose=False)
    try:
        return call_every_named_event(client, overrides=OVERRIDES, normalise=NORMALISE)
    finally:
        client.close()                       # its heartbeat stream would hold the server's shutdown for 5 s


def differences(expected: dict, actual: dict) -> str:
    lines = [f"{name}\n    plain server: {expected.get(name)}\n    ZeroGPU:      {actual.get(name)}"
             for name in dict.fromkeys([*expected, *actual]) if expected.get(name) != actual.get(name)]
    return f"{len(lines)} of {len(expected)} events answer differently:\n" + "\n".join(lines) if lines else ""


@pytest.fixture(scope="module")
def plain(app_url):
    """The plain server's answers, the reference (a Future): its pass runs in a thread from here on, beside the
    ZeroGPU app's start and first pass (the two take a core each)."""
    with ThreadPoolExecutor(1, thread_name_prefix="plain-pass") as pool:
        yield pool.submit(every_event, app_url)


CHUNK_STEPS = 20          # the ZeroGPU app's Train chunks end after 20 steps: the 50-step run crosses 3 GPU calls


@pytest.fixture(scope="module")
def zerogpu(tmp_path_factory):
    """ONE emulated ZeroGPU app for the module (its start is ~15 s of imports)."""
    with zerogpu_app(tmp_path_factory.mktemp("zerogpu"), env={"LATENT_LAB_CHUNK_STEPS": str(CHUNK_STEPS)}) as z:
        yield z


@pytest.fixture(scope="module")
def granted(plain, zerogpu):
    """The ZeroGPU app's answers while the device API grants every GPU asked for, and the notices its Train status
    showed."""
    assert zerogpu.stub.mode == "grant"
    NOTICES.clear()
    answers = every_event(zerogpu.url)
    return answers, set(NOTICES)


def test_a_training_run_crosses_gpu_chunks_and_ends_on_the_uninterrupted_runs_curve(plain, granted, zerogpu):
    """/train_start's 50 steps ran as 3 GPU calls of at most 20 steps (the run going into each and coming back as
    CPU tensors), and ended on the plain server's curve, which trained them in one go: the same loss values,
    compared exactly, in the stream's last curve and in /train_curves_csv's file (float reprs, every point)."""
    from generators.run import CALL_OVERHEAD_S, chunk_duration
    from ui.train_stream import CHUNK_S

    answers, notices = granted
    chunk = chunk_duration(None, CHUNK_S)
    assert chunk == int(CHUNK_S + CALL_OVERHEAD_S)
    calls = [s for s in zerogpu.stub.schedules if s["durationSeconds"] == chunk and s["mode"] == "grant"]
    assert len(calls) >= -(-50 // CHUNK_STEPS), f"{len(calls)} GPU calls of {chunk} s for a 50-step run"
    expected = plain.result()
    for name in ("/train_start", "/train_curves_csv", "/train_download"):
        assert answers[name] == expected[name] and answers[name][0] == "ok", (name, answers[name], expected[name])
    assert any(n.endswith("of your GPU quota spent") for n in notices), notices


def test_every_named_event_answers_as_on_a_plain_server(plain, granted, zerogpu):
    assert not (diff := differences(plain.result(), granted[0])), f"{diff}\n(app log: {zerogpu.log_path})"


def test_no_cuda_in_the_main_process_and_nothing_packed(granted, zerogpu):
    report = zerogpu.report()
    assert report["cuda_init_attempts_main"] == 0, (
        f"{report['cuda_init_attempts_main']} CUDA inits in the main process: on a Space each fails the event "
        f"(\"Low-level CUDA init reached\"); tracebacks in {zerogpu.log_path}")
    assert (report["cuda_aliases"], report["tensor_packs"], report["packed_bytes"]) == (0, 0, 0), (
        f"the main process moved tensors to 'cuda' before launch: {report}")
    durations = zerogpu.stub.durations()
    assert durations, "no event asked the device API for a GPU: the heavy events did not run in GPU calls"
    assert all(isinstance(d, int) and 1 <= d <= 120 for d in durations), durations
    assert set(durations) != {60}, f"every GPU call asked for spaces' default 60 s, none for its own: {durations}"


def test_quota_exceeded_and_no_gpu_fall_back_to_the_cpu(plain, zerogpu):
    # The two passes run side by side, a core each (measured here: 69 s, against 108-120 s one after the other),
    # as two visitors the device API tells apart: one with no X-IP-Token meets "quota" (so spaces' message is
    # "Space app has reached its GPU limit…"), one with a token meets "nogpu" ("No GPU was available" either way).
    token = ip_token("nogpu-visitor")
    before = len(zerogpu.stub.schedules)
    NOTICES.clear()
    try:
        zerogpu.set_mode("nogpu", token=token)
        zerogpu.set_mode("quota")
        with ThreadPoolExecutor(2, thread_name_prefix="refused-pass") as pool:
            passes = {"quota": pool.submit(every_event, zerogpu.url),
                      "nogpu": pool.submit(every_event, zerogpu.url, {"X-IP-Token": token})}
            answers = {mode: future.result() for mode, future in passes.items()}
    finally:
        zerogpu.set_mode("grant")
        zerogpu.set_mode("grant", token=token)
    expected = plain.result()
    diffs = {mode: differences(expected, got) for mode, got in answers.items()}
    assert not any(diffs.values()), "\n".join(f"[device API: {mode}] {d}" for mode, d in diffs.items() if d)
    refused = [s["mode"] for s in zerogpu.stub.schedules[before:]]
    assert {"quota", "nogpu"} <= set(refused), f"no event asked for a GPU in each mode, so none was refused: {refused}"
    from generators.device import REFUSALS                  # the Train status said why the run went to the CPU
    assert {REFUSALS["quota"], REFUSALS["no_gpu"]} <= NOTICES, NOTICES
