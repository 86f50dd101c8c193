"""No data lost: checkpoint saves killed with SIGKILL at random moments, and two writers saving one name at once.

The writers are forked children running the real `save_checkpoint` in a loop (fork: no interpreter start per
kill, so 100+ kills stay cheap). Forking happens in a fresh single-threaded subprocess (this file run as a
script), never in pytest's process, whose Gradio server threads could hold a lock across the fork.
Every version k of the model has every weight equal to k and `steps` = k.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLS = 120


def _model():
    import generators

    return generators.build("gan", "8gaussians", hidden=8, latent_dim=2)


def _writer(path, first: int, stride: int, ready_fd: int | None = None):
    """Fork a child that saves versions first, first+stride, ... to `path` until it is killed."""
    import torch

    from generators.base import save_checkpoint

    model = _model()
    pid = os.fork()
    if pid:
        return pid
    try:                                   # the child: never returns
        k = first
        while True:
            with torch.no_grad():
                for p in model.parameters():
                    p.fill_(float(k))
            save_checkpoint(model, path, dataset="8gaussians", steps=k)
            if ready_fd is not None:
                os.write(ready_fd, b"s")
                os.close(ready_fd)
                ready_fd = None
            k += stride
    finally:
        os._exit(1)


def _save_version(path, k: int) -> None:
    """The model with every weight equal to k, saved as steps = k (the parent's "old" file)."""
    import torch

    from generators.base import save_checkpoint

    model = _model()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float(k))
    save_checkpoint(model, path, dataset="8gaussians", steps=k)


def _version(path) -> tuple[int, int]:
    """(weights version, config version) of the checkpoint at `path`; raises if it is not loadable."""
    import torch

    import generators

    m = generators.load(path, device="cpu")
    values = torch.cat([p.detach().reshape(-1) for p in m.parameters()]).unique()
    if len(values) != 1:
        raise AssertionError(f"weights from more than one version: {values[:5].tolist()}")
    return int(values.item()), int(m.meta["steps"])


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def kill_loop(folder: Path, kills: int) -> dict:
    """Kill a saving child `kills` times at random moments; after each kill, load what is there."""
    path = folder / "run"
    _save_version(path, 0)                                       # an "old" file exists from the start
    rng = random.Random(0)
    out = {"kills": 0, "mid_write": 0, "problems": []}
    for i in range(kills):
        r, w = os.pipe()
        pid = _writer(path, first=1000 * (i + 1), stride=1, ready_fd=w)
        os.close(w)
        os.read(r, 1)                                            # at least one whole save done by this child
        os.close(r)
        time.sleep(rng.uniform(0, 0.01))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        out["kills"] += 1
        out["mid_write"] += bool(_temps(folder))                 # killed inside a write: its temp file is left
        try:
            weights, config = _version(path)                     # loadable: old or new, never torn
            # weights are written before the config that names them: the config is the same save or one behind
            if weights - config not in (0, 1) or weights < 1000 * (i + 1):
                out["problems"].append(f"kill {i}: weights v{weights}, config v{config}")
        except Exception as e:  # reported to the test
            out["problems"].append(f"kill {i}: {type(e).__name__}: {e}")
        if _temps(folder):
            out["problems"].append(f"kill {i}: temp files left after a load: {_temps(folder)}")
    return out


def two_writers(folder: Path, seconds: float) -> dict:
    """Two children save even and odd versions of one name at once while this process keeps loading it."""
    path = folder / "shared"
    _save_version(path, 0)                                       # version 0 until a writer's first save
    pids = [_writer(path, first=2, stride=2), _writer(path, first=3, stride=2)]
    seen, problems, loads = set(), [], 0
    try:
        # at least `seconds` and 40 loads, until both writers' versions were seen (a loaded machine is slower,
        # not wrong: give up only after two minutes)
        start = time.monotonic()
        while (time.monotonic() - start < seconds or loads < 40 or len({v % 2 for v in seen}) < 2) \
                and time.monotonic() - start < 120:
            try:
                v = _version(path)[0]
                loads += 1
                if v:
                    seen.add(v)
            except Exception as e:  # reported to the test
                problems.append(f"{type(e).__name__}: {e}")
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    _version(path)
    return {"loads": loads, "parities": sorted({v % 2 for v in seen}), "problems": problems,
            "temps_left": _temps(folder)}


def _in_a_fresh_process(what: str, folder: Path, arg) -> dict:
    r = subprocess.run([sys.executable, __file__, what, str(folder), str(arg)], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_kill_9_during_saves_never_leaves_a_torn_checkpoint(tmp_path):
    out = _in_a_fresh_process("kill", tmp_path, KILLS)
    assert out["kills"] == KILLS and out["problems"] == [], out["problems"][:5]
    assert out["mid_write"] > 0, "no kill landed inside a write: the test did not exercise the window"
    assert not _temps(tmp_path)


def test_two_writers_saving_one_name_at_once_never_corrupt(tmp_path):
    out = _in_a_fresh_process("two", tmp_path, 4)
    assert out["problems"] == [] and out["loads"] >= 40 and out["parities"] == [0, 1], out
    assert out["temps_left"] == []


def test_cleanup_keeps_a_live_writers_temp_file_and_removes_a_dead_ones(tmp_path):
    from generators.base import clean_stale_temp_files

    path = tmp_path / "m.safetensors"
    live = tmp_path / f".m.safetensors.{os.getpid()}.abc.tmp"
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()                                                     # a pid that no longer runs (reaped)
    dead = tmp_path / f".m.safetensors.{p.pid}.xyz.tmp"
    other = tmp_path / f".other.safetensors.{p.pid}.xyz.tmp"     # another checkpoint's: not ours to touch
    for f in (live, dead, other):
        f.write_bytes(b"partial")
    assert clean_stale_temp_files(path) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    what, folder, arg = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    result = kill_loop(folder, int(arg)) if what == "kill" else two_writers(folder, float(arg))
    print(json.dumps(result))
