"""The UI half of the conformance suite: every registered family, by registering, gets a tab built from its
module ui/<name>.py, a place in every front-end that lists families (tab list, link parameters, Train settings,
Compare rows, CLI), and a main named event that answers its page's own values and answers hostile ones with a
clear gr.Error (never another exception)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect

import gradio as gr
import pytest

import app
import generators
from generators.base import train_fields
from ui import common as C
from ui import compare, share
from ui import train as T

FAMILIES = list(generators.REGISTRY)
HOSTILE = [float("nan"), float("inf"), 1e308, -1e308, 2**64, -1, "abc", "x" * 100_000, None, [], {"a": 1}]


def event(api_name: str):
    return next(fn for fn in app.demo.fns.values() if fn.api_name == api_name)


def call(fn, values):
    """The handler's answer: a valid result or a gr.Error (returned, not raised); coroutines are awaited and
    generators drained."""
    try:
        out = fn(*values)
        if inspect.iscoroutine(out):                  # on a loop of its own: Playwright may hold this thread's
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                out = pool.submit(asyncio.run, out).result()
        return list(out) if hasattr(out, "__next__") else out
    except gr.Error as e:
        return e


@pytest.mark.parametrize("family", FAMILIES)
def test_every_front_end_lists_the_family(family):
    cls = generators.REGISTRY[family]
    assert cls.TITLE and (cls.TITLE, family) in [(title, tab) for title, tab, _ in app.TABS]
    assert family in app.FAMILY_TABS and family in share.TAB_IDS
    assert family in T.available_families()
    settings = {f: m for f, m in train_fields(cls.Config).items()}
    assert set(settings) <= set(T.FIELDS)                    # its own settings are among the Train tab's fields
    updates = T.family_changed(family)
    shown = {name for name, u in zip(T.FIELDS, updates[4:]) if u.get("visible")}
    assert shown == set(settings)                            # and exactly those show for it
    default = generators.DEFAULT_CHECKPOINT[family]
    assert default in generators.shipped_checkpoints() and default in compare.ALL_MODELS
    from generators.__main__ import build_parser

    args = build_parser().parse_args(["train", family])
    assert args.dataset == cls.DEFAULT_DATASET


@pytest.mark.parametrize("family", FAMILIES)
def test_the_tab_builds_and_its_main_event_answers_its_own_page(family):
    module = C.tab_module(family)
    assert any(getattr(b, "elem_id", None) == f"tab_{family}" for b in app.demo.blocks.values())
    fn = event(module.MAIN_EVENT)
    values = [c.value for c in fn.inputs]                     # what the page starts with
    out = call(fn.fn, values)
    assert out is not None and not isinstance(out, gr.Error), out


@pytest.mark.parametrize("family", FAMILIES)
def test_the_main_event_answers_hostile_values_with_a_clear_error(family):
    fn = event(C.tab_module(family).MAIN_EVENT)
    values = [c.value for c in fn.inputs]
    refused = 0
    for i in range(len(values)):
        for bad in HOSTILE:
            out = call(fn.fn, [*values[:i], bad, *values[i + 1:]])
            if isinstance(out, gr.Error):
                assert str(out.message).strip() and "Traceback" not in str(out.message)
                refused += 1
    assert refused >= len(values), "every parameter refuses some hostile value"
    assert not isinstance(call(fn.fn, values), gr.Error)      # and the next normal request is served
