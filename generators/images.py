"""Image and latent helpers: uint8 conversion, grids, PNG/GIF bytes, upscaling, spherical interpolation."""
from __future__ import annotations

import io
import math

import numpy as np
import torch

# (channels, image_size, num_classes) of the bundled image sets that are not MNIST's grey 1×28×28 in 10 classes
# (a user's .zip of images is made grey 28×28 too: data.image_to_gray); each family's config_for reads it
IMAGE_GEOMETRY = {"emoji": (3, 32, 9)}


def image_geometry(dataset: str) -> tuple[int, int, int]:
    """(channels, image_size, num_classes) of an image dataset's images: (3, 32, 9) for emoji, else (1, 28, 10)."""
    return IMAGE_GEOMETRY.get(str(dataset), (1, 28, 10))


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float N×C×H×W in [0,1] → uint8 N×H×W (one channel: grey) or N×H×W×C (RGB)."""
    x = (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    if x.shape[1] == 1:
        return x[:, 0].numpy()
    return x.permute(0, 2, 3, 1).numpy()


def make_grid(images: np.ndarray, nrow: int | None = None, pad: int = 2, pad_value: int = 0) -> np.ndarray:
    """uint8 N×H×W (grey) or N×H×W×C (RGB) → one uint8 image (grey or RGB), the samples tiled row by row."""
    n, h, w = images.shape[:3]
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    shape = (rows * (h + pad) + pad, nrow * (w + pad) + pad) + images.shape[3:]
    grid = np.full(shape, pad_value, dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y:y + h, x:x + w] = img
    return grid


def upscale(img: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale of an H×W or H×W×C image: digits and emoji shown large, pixels crisp."""
    return img.repeat(factor, axis=0).repeat(factor, axis=1)


def png_bytes(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def gif_bytes(frames: list[np.ndarray], duration_ms: int = 80, loop: int = 0) -> bytes:
    from PIL import Image

    ims = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=duration_ms, loop=loop)
    return buf.getvalue()


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between latents a, b (D,) at fractions t (K,) → (K, D)."""
    a_n, b_n = a / a.norm(), b / b.norm()
    omega = torch.arccos((a_n * b_n).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = t[:, None]
    if so.abs() < 1e-6:
        return (1 - t) * a + t * b
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b
