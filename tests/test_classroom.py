"""Classroom mode for the 2D GAN: one click of D step trains D only, G step trains G only; the plot updates."""
from __future__ import annotations

import torch

from ui import classroom


def params(module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_d_step_changes_d_only_and_g_step_g_only():
    lesson, fig, text = classroom.reset(3)
    g0, d0 = params(lesson.model.G), params(lesson.model.D)
    lesson, fig, text = classroom.d_step(lesson, 1)
    assert changed(d0, lesson.model.D) and not changed(g0, lesson.model.G)
    assert lesson.d_steps == 1 and lesson.g_steps == 0 and "D steps: 1" in text
    g1, d1 = params(lesson.model.G), params(lesson.model.D)
    lesson, fig, text = classroom.g_step(lesson, 1)
    assert changed(g1, lesson.model.G) and not changed(d1, lesson.model.D)
    assert "G steps: 1" in text and fig.axes


def test_same_seed_same_lesson_and_reset_starts_over():
    a, _, _ = classroom.d_step(classroom.reset(5)[0], 3)
    b, _, _ = classroom.d_step(classroom.reset(5)[0], 3)
    assert all(torch.equal(x, y) for x, y in zip(a.model.parameters(), b.model.parameters()))
    fresh, _, text = classroom.reset(5)
    assert fresh.d_steps == 0 and "D steps: 0" in text


def test_bad_steps_per_click_is_refused():
    import gradio as gr
    import pytest

    for bad in (0, 51, "x", float("nan")):
        with pytest.raises(gr.Error):
            classroom.d_step(None, bad)


def test_buttons_in_chromium(page):
    from conftest import open_tab

    open_tab(page, "GAN")
    page.locator("#gan2d_classroom").get_by_text("Classroom mode").click()
    page.wait_for_function("() => document.querySelector('#gan2d_class_plot img, #gan2d_class_plot svg')")
    html = lambda: page.evaluate("() => document.querySelector('#gan2d_class_plot').innerHTML")  # noqa: E731
    for btn, text in (("gan2d_d_step", "D steps: 1"), ("gan2d_g_step", "G steps: 1")):
        before = html()
        page.locator(f"#{btn}").click()
        page.wait_for_function("(t) => document.querySelector('#gan2d_class_status')?.innerText.includes(t)", arg=text)
        page.wait_for_function("(b) => document.querySelector('#gan2d_class_plot').innerHTML !== b", arg=before)
    page.locator("#gan2d_reset").click()
    page.wait_for_function("() => document.querySelector('#gan2d_class_status')?.innerText.includes('D steps: 0')")
    assert not page.errors
