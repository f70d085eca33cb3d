"""Shared matplotlib plumbing: figures without pyplot (no display needed,
no global state), the expression colours, atomic PNG writes."""
import os.path as osp
from typing import Sequence, Tuple

from matplotlib import colormaps
from matplotlib.figure import Figure

from mmsde.utils.atomic import atomic_path


def new_figure(size: Tuple[float, float]) -> Figure:
    """A figure drawn by the Agg canvas, independent of any GUI backend."""
    return Figure(figsize=size, layout='constrained')


def class_colors(num_classes: int) -> list:
    """One distinct colour per class (tab10, then tab20)."""
    cmap = colormaps['tab10' if num_classes <= 10 else 'tab20']
    return [cmap(i % cmap.N) for i in range(num_classes)]


def save_figure(fig: Figure, path: str, dpi: int = 120) -> str:
    """Write ``fig`` to ``path`` atomically (never a half-written picture
    after an interruption); returns the path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=osp.splitext(path)[1][1:] or 'png')
    return path


def short_names(names: Sequence[str], width: int = 10) -> list:
    """Class names cut to ``width`` characters for crowded axes."""
    return [n if len(n) <= width else n[:width - 1] + '.' for n in names]
