"""Every named event over real HTTP, every input slot, hostile values (a sample of the grid; the full grid is
`python -m bench.fuzz`): each answer is a result or a clean refusal, and afterwards every event serves a new
visitor exactly what it served before, on the same keep-alive connection and on a fresh one (issue 16)."""
from __future__ import annotations

from bench.fuzz import HOSTILE, RECOMPUTING, fuzz


def test_hostile_values_in_every_slot_leave_every_event_serving_as_before(app_url):
    report = fuzz(app_url, sample=3, skip_defaults=RECOMPUTING)
    assert report["events"] >= 40 and report["calls"] >= 3 * report["slots"] >= 600, report["calls"]
    assert set(report["per_value"]) == set(HOSTILE)                       # every value went out
    assert report["crashes"] == [], report["crashes"][:5]
    assert set(report["answers"]) <= {"ok", "refused", "refused by gradio"}
    # a visitor's defaults: a result, or our own clear message where the event needs something first
    # ("Draw a digit first.", "Train a model first …")
    assert set(report["defaults_before"].values()) <= {"ok", "refused"}, report["defaults_before"]
    assert report["changed_after"] == [], report["changed_detail"]
