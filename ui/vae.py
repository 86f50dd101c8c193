"""The VAE tab (placeholder until its issue lands)."""
from __future__ import annotations

import gradio as gr


def build() -> list:
    gr.Markdown("The VAE tab is being built.")
    return []
