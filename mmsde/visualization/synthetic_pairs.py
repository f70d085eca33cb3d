"""Pictures of the synthetic benchmark: pairs of both masked views side by
side, with where each pair's two images differ."""
from typing import Sequence, Tuple

import numpy as np

from mmsde.synthetic import EXPRESSIONS, MASKED_VIEWS, render_pair

from .figures import new_figure, save_figure

VIEW_TITLES = {'overlay': 'overlay', 'second_photo': 'second photo'}


def _rgb(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[..., ::-1])


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel largest channel difference, scaled to show sensor noise."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return np.clip(diff * 4, 0, 255).astype(np.uint8)


def draw_synthetic_pairs(cases: Sequence[Tuple[int, int]],
                         out_file: str,
                         seed: int = 0,
                         img_size: int = 112) -> str:
    """Draw pairs of the synthetic benchmark in both masked views.

    One row per ``(subject, label)``; per masked view of
    :data:`~mmsde.synthetic.MASKED_VIEWS` three columns: the non-masked
    image, the masked image and ``|non-masked - masked|`` (largest channel
    difference, x4), as :func:`~mmsde.synthetic.render_pair` draws them
    (``k = 0``, the images a set of ``seed`` holds).

    Args:
        cases (Sequence[tuple]): ``(subject, label)`` per row.
        out_file (str): PNG to write.
        seed (int): Seed of the set. Defaults to 0.
        img_size (int): Image side in pixels. Defaults to 112.

    Returns:
        str: ``out_file``.
    """
    if not cases:
        raise ValueError('cases: give at least one (subject, label)')
    columns = len(MASKED_VIEWS) * 3
    fig = new_figure((1.5 * columns, 1.6 * len(cases) + 0.5))
    grid = fig.add_gridspec(len(cases), columns)
    for row, (subject, label) in enumerate(cases):
        for v, view in enumerate(MASKED_VIEWS):
            face, masked, _ = render_pair(seed, subject, label,
                                          img_size=img_size,
                                          masked_view=view)
            cells = ((_rgb(face), 'non-masked', None),
                     (_rgb(masked), 'masked', None),
                     (_difference(face, masked), '|difference| x4', 'gray'))
            for c, (img, what, cmap) in enumerate(cells):
                ax = fig.add_subplot(grid[row, 3 * v + c])
                ax.imshow(img, cmap=cmap, vmin=0, vmax=255)
                ax.set_xticks([])
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(f'{VIEW_TITLES[view]}\n{what}', fontsize=9)
                if v == 0 and c == 0:
                    ax.set_ylabel(f'subject {subject}\n{EXPRESSIONS[label]}',
                                  fontsize=9)
    fig.suptitle(f'Synthetic MSD-E pairs, seed {seed}: the mask drawn on '
                 'the non-masked image (overlay)\nor on a second photograph '
                 'of the same face and expression (second photo)',
                 fontsize=10)
    return save_figure(fig, out_file)
