"""Static figures with matplotlib's object API (no pyplot: handlers run concurrently)."""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure


def scatter_figure(generated: np.ndarray | None = None, real: np.ndarray | None = None, *,
                   title: str = "", lim: float | None = None, size: float = 4.0) -> Figure:
    """Real points (grey) under generated points (orange), equal axes."""
    fig = Figure(figsize=(size, size), dpi=100)
    ax = fig.add_subplot()
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=3, c="#9aa0a6", alpha=0.5, label="real", linewidths=0)
    if generated is not None:
        ax.scatter(generated[:, 0], generated[:, 1], s=3, c="#f97316", alpha=0.7, label="generated", linewidths=0)
    if lim is None:
        pts = [p for p in (real, generated) if p is not None]
        lim = float(np.abs(np.concatenate(pts)).max()) * 1.1 if pts else 1.0
        lim = min(max(lim, 1.0), 10.0)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def scatter_png(points: np.ndarray, real: np.ndarray | None = None) -> bytes:
    return figure_png(scatter_figure(points, real))
