"""The floor: a bare Gradio app whose slider returns a fixed image, wired exactly like our cheap events."""
import os

import gradio as gr
import numpy as np

IMG = (np.arange(224 * 224) % 251).astype(np.uint8).reshape(224, 224)

with gr.Blocks(analytics_enabled=False) as demo:
    s = gr.Slider(0, 10, value=0, label="x")
    img = gr.Image(format="png")
    s.input(lambda v: IMG, s, img, api_name="bare_render", queue=False, trigger_mode="always_last",
            show_progress="hidden")

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
