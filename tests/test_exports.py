"""Exports: PNG of grids, GIFs of interpolations / denoising / training timelapses, CSV of curves, named by content."""
from __future__ import annotations

import io
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from PIL import Image

from ui import diffusion, gan, train, vae


def frames_of(path) -> int:
    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def test_grid_pngs_are_named_by_what_they_show():
    p = Path(gan.grid_png(7, "3", 0.7, 4))
    assert p.name == "gan-mnist_seed7_class-3_trunc0.7.png" and Image.open(p).format == "PNG"
    p = Path(vae.grid_png(5, 4, 0.5))
    assert p.name == "vae-mnist_seed5_t0.5.png" and Image.open(p).format == "PNG"
    p = Path(diffusion.grid_png(3, "5", "euler", 5, 0.0, 3.0, 2))
    assert p.name == "diffusion-mnist_seed3_class-5_euler5_eta0_w3_n2.png" and Image.open(p).format == "PNG"
    with pytest.raises(gr.Error):
        diffusion.grid_png(3, "5", "euler", 0, 0.0, 3.0, 2)


def test_interpolation_gifs():
    _, gif = gan.interpolate(0, 1, "7", 4, 1.0)
    assert Path(gif).name == "gan-mnist_interp_seed0-to-seed1_class-7.gif" and frames_of(gif) > 4


def _trained(dataset, family="gan", steps=6, every=2):
    r = train.Run()
    settings = [family, dataset, None, 0, 16, steps, 0, "bce", 0, 1.0, "cosine", 0, 0, 0, 0, every]
    train.step_once(r, *settings)
    for _ in train.advance(r):
        pass
    return r


@pytest.mark.parametrize("dataset", ["8gaussians", "mnist"])
def test_training_timelapse_gif_and_curves_csv(dataset):
    r = _trained(dataset)
    gif = Path(train.timelapse_gif(r))
    assert gif.name.startswith(f"gan-{dataset}_run1_timelapse_steps") and gif.suffix == ".gif"
    assert frames_of(gif) == len(r.timelapse) >= 3          # (the held last frame merges into one)
    csv = Path(train.curves_csv(r))
    assert csv.name == f"gan-{dataset}_run1_losses.csv"
    df = pd.read_csv(csv)
    assert list(df.columns) == ["run", "series", "step", "loss"]
    assert df["step"].max() == 6 and set(df["series"]) >= {"run 1: d_loss", "run 1: g_loss"}


def test_exports_before_training_say_so():
    for fn in (train.timelapse_gif, train.curves_csv):
        with pytest.raises(gr.Error, match="Train"):
            fn(None)


def test_timelapse_keeps_a_bounded_number_of_frames():
    import torch

    r = train.Run()
    for step in range(500):
        train.keep_frame(r, step, torch.zeros(2, 2))
    assert len(r.timelapse) <= train.MAX_TIMELAPSE and r.timelapse[0][0] == 0
