"""Static figures with matplotlib's object API (no pyplot: handlers run concurrently)."""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure


def _scatter_ax(ax, generated, real, *, title: str, lim: float | None, label: str = "generated") -> None:
    """Real points (grey) under generated points (orange) on one axis, equal axes."""
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=3, c="#9aa0a6", alpha=0.5, label="real", linewidths=0)
    if generated is not None:
        ax.scatter(generated[:, 0], generated[:, 1], s=3, c="#f97316", alpha=0.7, label=label, linewidths=0)
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


def scatter_figure(generated: np.ndarray | None = None, real: np.ndarray | None = None, *,
                   title: str = "", lim: float | None = None, size: float = 4.0) -> Figure:
    """Real points (grey) under generated points (orange), equal axes."""
    fig = Figure(figsize=(size, size), dpi=100)
    _scatter_ax(fig.add_subplot(), generated, real, title=title, lim=lim)
    fig.tight_layout()
    return fig


def paths_figure(panels, real: np.ndarray | None = None, *, lim: float | None = None, n_paths: int = 32,
                 size: float = 4.0) -> Figure:
    """Panels side by side, one per (title, paths (F, N, 2)): the first `n_paths` particles' paths so far
    (blue lines), where all N are now (orange), the real data underneath (grey)."""
    fig = Figure(figsize=(size * len(panels), size), dpi=100)
    for i, (title, paths) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        p = paths[:, :n_paths]                                   # (F, n_paths, 2)
        ax.plot(p[:, :, 0], p[:, :, 1], color="#2563eb", lw=0.6, alpha=0.45)
        _scatter_ax(ax, paths[-1], real, title=title, lim=lim, label="particles")
    fig.tight_layout()
    return fig


def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def scatter_png(points: np.ndarray, real: np.ndarray | None = None) -> bytes:
    return figure_png(scatter_figure(points, real))
