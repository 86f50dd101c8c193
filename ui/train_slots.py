"""The Train tab's global cap on training runs: MAX_RUNS run at once across all sessions, the rest wait in line,
told their place and an estimate of the wait."""
from __future__ import annotations

import heapq
import threading
import time

MAX_RUNS = 2                 # concurrent training runs across all sessions (the rest wait, told their place)
RUN_LIMIT_S = 600            # wall-clock limit per run
LEASE_S = 10                 # a slot whose run stopped reporting for this long is free again

_SLOTS: dict[int, float] = {}      # id(Run) → last heartbeat
_ETA: dict[int, tuple[float, float]] = {}   # id(Run) of a running run → (seconds left, seconds in all) at its rate
_WAITING: list[int] = []
_SLOT_LOCK = threading.Lock()


def _try_slot(key: int, r=None) -> int:
    """0 when `key` holds a slot (taken now or already; `r`, its run, reports its pace), else its place in the
    waiting line (1 = next)."""
    now = time.monotonic()
    with _SLOT_LOCK:
        for k, beat in list(_SLOTS.items()):
            if now - beat > LEASE_S:
                del _SLOTS[k]                      # a run that stopped without releasing (closed tab)
                _ETA.pop(k, None)
        if key not in _WAITING and key not in _SLOTS:
            _WAITING.append(key)
        if key in _SLOTS or (len(_SLOTS) < MAX_RUNS and _WAITING[0] == key):
            _SLOTS[key] = now
            if key in _WAITING:
                _WAITING.remove(key)
            if r is not None and r.rate > 0 and r.total:
                _ETA[key] = ((r.total - r.step) / r.rate, r.total / r.rate)
            return 0
        return _WAITING.index(key) + 1


def _release(key: int) -> None:
    with _SLOT_LOCK:
        _SLOTS.pop(key, None)
        _ETA.pop(key, None)
        if key in _WAITING:
            _WAITING.remove(key)


def wait_estimate(place: int) -> float | None:
    """Seconds until the `place`-th in line starts, if the running runs keep their pace and each run after them
    takes as long as theirs do on average (capped at RUN_LIMIT_S); None until every running run has a pace."""
    with _SLOT_LOCK:
        running = [_ETA.get(k) for k in _SLOTS]
    if len(running) < MAX_RUNS:
        return 0.0
    if None in running:
        return None
    typical = min(RUN_LIMIT_S, sum(total for _, total in running) / len(running))
    ends = [min(left, RUN_LIMIT_S) for left, _ in running]     # when each slot frees
    heapq.heapify(ends)
    for _ in range(place - 1):                                  # those ahead take a slot each, in turn
        heapq.heappush(ends, heapq.heappop(ends) + typical)
    return ends[0]


def waiting_phase(place: int) -> str:
    eta = wait_estimate(place)
    when = ("the wait is estimated once the running runs report their pace" if eta is None else
            f"about {max(1, round(eta))} s" if eta < 90 else f"about {round(eta / 60)} min")
    return f"waiting: all {MAX_RUNS} training slots are busy, you are number {place} in line ({when})"
