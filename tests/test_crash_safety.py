"""No data lost: checkpoint saves killed with SIGKILL at random moments, and two writers saving one name at once.

The writers are forked children running the real `save_checkpoint` in a loop (fork: no interpreter start per
kill, so 100+ kills stay cheap). Every version k of the model has every weight equal to k and `steps` = k.
"""
from __future__ import annotations

import os
import random
import signal
import time

import torch

import generators
from generators.base import clean_stale_temp_files, save_checkpoint

KILLS = 120


def _model():
    return generators.build("gan", "8gaussians", hidden=8, latent_dim=2)


def _writer(path, first: int, stride: int, ready_fd: int | None = None):
    """Fork a child that saves versions first, first+stride, ... to `path` until it is killed."""
    model = _model()
    pid = os.fork()
    if pid:
        return pid
    try:                                   # the child: never returns into pytest
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


def _version(path) -> tuple[int, int]:
    """(weights version, config version) of the checkpoint at `path`; raises if it is not loadable."""
    m = generators.load(path, device="cpu")
    values = torch.cat([p.detach().reshape(-1) for p in m.parameters()]).unique()
    assert len(values) == 1, f"weights from more than one version: {values[:5]}"
    return int(values.item()), int(m.meta["steps"])


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_kill_9_during_saves_never_leaves_a_torn_checkpoint(tmp_path):
    path = tmp_path / "run"
    save_checkpoint(_model(), path, dataset="8gaussians", steps=0)   # an "old" file exists from the start
    rng = random.Random(0)
    mid_write = 0
    for i in range(KILLS):
        r, w = os.pipe()
        pid = _writer(path, first=1000 * (i + 1), stride=1, ready_fd=w)
        os.close(w)
        os.read(r, 1)                                            # at least one whole save done by this child
        os.close(r)
        time.sleep(rng.uniform(0, 0.01))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        mid_write += bool(_temps(tmp_path))                      # killed inside a write: its temp file is left
        weights, config = _version(path)                         # loadable: old or new, never torn
        # weights are written before the config that names them, so the config is the same save or one behind
        assert weights - config in (0, 1) and weights >= 1000 * (i + 1), (weights, config)
        assert not _temps(tmp_path), "loading did not tidy the killed writer's temp files"
    print(f"{KILLS} kills, {mid_write} inside a write")
    assert mid_write > 0, "no kill landed inside a write: the test did not exercise the window"


def test_cleanup_keeps_a_live_writers_temp_file_and_removes_a_dead_ones(tmp_path):
    path = tmp_path / "m.safetensors"
    live = tmp_path / f".m.safetensors.{os.getpid()}.abc.tmp"
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)                                           # a pid that no longer runs
    dead = tmp_path / f".m.safetensors.{pid}.xyz.tmp"
    other = tmp_path / f".other.safetensors.{pid}.xyz.tmp"       # another checkpoint's: not ours to touch
    for p in (live, dead, other):
        p.write_bytes(b"partial")
    assert clean_stale_temp_files(path) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


def test_two_writers_saving_one_name_at_once_never_corrupt(tmp_path):
    path = tmp_path / "shared"
    save_checkpoint(_model(), path, dataset="8gaussians", steps=0)
    pids = [_writer(path, first=2, stride=2), _writer(path, first=3, stride=2)]   # even and odd versions
    seen = set()
    try:
        deadline = time.monotonic() + 4
        loads = 0
        while time.monotonic() < deadline or len({v % 2 for v in seen}) < 2:
            weights, config = _version(path)                     # every read whole, whichever writer won
            seen.add(weights)
            loads += 1
            assert time.monotonic() < deadline + 20, "one writer never got a save in"
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert loads > 20 and {v % 2 for v in seen} == {0, 1}
    _version(path)
    assert not _temps(tmp_path)
