"""The VAE tab's 2D latent map: vae-mnist-2d's held-out digits encoded and coloured by class; click a point to
decode it, and the manifold of decoded digits over the same plane."""
from __future__ import annotations

import functools

import gradio as gr
import numpy as np
import torch

from . import common as C
from . import i18n as I

CHECKPOINT_2D = "vae-mnist-2d"
MAP_LIM = 3.0          # the latent map shows [-3, 3]²
MAP_PX = 480


def _model2d():
    return C.pretrained(CHECKPOINT_2D)


@functools.lru_cache(maxsize=1)
def _heldout_codes():
    from generators.data import load_mnist

    d = load_mnist("heldout")
    return _model2d().encode(d.x).cpu().numpy(), d.y.numpy(), d


def _to_px(z: np.ndarray) -> np.ndarray:
    """Latent (…, 2) → pixel (…, 2) on the MAP_PX × MAP_PX map (y up)."""
    return np.stack([(z[..., 0] + MAP_LIM) / (2 * MAP_LIM) * MAP_PX,
                     (MAP_LIM - z[..., 1]) / (2 * MAP_LIM) * MAP_PX], -1)


@functools.lru_cache(maxsize=1)
def _base_map() -> np.ndarray:
    """The held-out digits encoded by vae-mnist-2d, coloured by class, as an RGB image (axes fill it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    codes, labels, _ = _heldout_codes()
    fig = Figure(figsize=(MAP_PX / 100, MAP_PX / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=14, linewidths=0)
    for k in range(10):                      # each class's label at its centre
        cx, cy = np.median(codes[labels == k], 0)
        ax.text(cx, cy, str(k), fontsize=16, weight="bold", ha="center", va="center",
                bbox=dict(boxstyle="circle,pad=0.15", fc="white", alpha=0.8, lw=0))
    ax.set_xlim(-MAP_LIM, MAP_LIM)
    ax.set_ylim(-MAP_LIM, MAP_LIM)
    ax.axhline(0, color="#ccc", lw=0.5)
    ax.axvline(0, color="#ccc", lw=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _map_with(points: list[tuple[float, float, tuple]]) -> np.ndarray:
    """The base map with markers (latent x, latent y, RGB) drawn on top."""
    img = _base_map().copy()
    for zx, zy, color in points:
        px, py = _to_px(np.array([zx, zy]))
        x0, y0 = int(round(px)), int(round(py))
        for r in range(-7, 8):
            for t in (-1, 0, 1):
                for yy, xx in ((y0 + t, x0 + r), (y0 + r, x0 + t)):
                    if 0 <= yy < MAP_PX and 0 <= xx < MAP_PX:
                        img[yy, xx] = color
    return img


def latent_map():
    return _map_with([])


class Click(gr.SelectData):
    """A click on the map. An API call sends no event data, and Gradio's gr.SelectData fails on that with a Python
    TypeError before the handler runs; here it has no index, which map_click refuses in words."""

    def __init__(self, target, data):
        super().__init__(target, {"index": None, "value": None, **(data if isinstance(data, dict) else {})})


NO_CLICK = "This event answers a click on the latent map and needs its position, which an API call cannot send."


def map_click(evt: Click):
    """A click on the map (pixel x, y) → that latent → its decoded digit, and a marker."""
    if evt is None or evt.index is None:
        raise I.error(NO_CLICK)
    if not isinstance(evt.index, (list, tuple)) or len(evt.index) != 2:
        raise I.error("click a point on the map")
    px, py = (C.number(v, "Map position", 0, MAP_PX) for v in evt.index)
    zx = px / MAP_PX * 2 * MAP_LIM - MAP_LIM
    zy = MAP_LIM - py / MAP_PX * 2 * MAP_LIM
    return decode_point(zx, zy)


@C.engine_errors
def decode_point(zx, zy):
    zx, zy = C.number(zx, "z₁", -MAP_LIM, MAP_LIM), C.number(zy, "z₂", -MAP_LIM, MAP_LIM)
    img = _model2d().decode(torch.tensor([[zx, zy]]))
    return C.grid_image(img, scale=6), _map_with([(zx, zy, (0, 0, 0))]), f"z = ({zx:.2f}, {zy:.2f})"


@functools.lru_cache(maxsize=1)
def manifold(k: int = 15) -> np.ndarray:
    """Decoded digits on a k×k grid over the same plane as the map (top row = high z₂)."""
    t = torch.linspace(-MAP_LIM * 0.9, MAP_LIM * 0.9, k)
    zz = torch.stack([t.repeat(k), t.flip(0).repeat_interleave(k)], 1)
    return C.grid_image(_model2d().decode(zz), nrow=k, scale=1)
