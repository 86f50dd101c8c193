"""The Train tab (placeholder until its issue lands)."""
from __future__ import annotations

import gradio as gr


def build() -> list:
    gr.Markdown("The Train tab is being built.")
    return []
