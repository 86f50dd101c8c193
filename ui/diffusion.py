"""The Diffusion tab (placeholder until its issue lands)."""
from __future__ import annotations

import gradio as gr


def build() -> list:
    gr.Markdown("The Diffusion tab is being built.")
    return []
