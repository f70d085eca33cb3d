"""Pictures of face detection: a photo with its boxes, scores and 5
landmarks, next to each face's aligned crop, unmasked and masked."""
from typing import Sequence

import numpy as np
from matplotlib.patches import Rectangle

from mmsde.utils.face_crop import CropSettings, Face, crop_image
from mmsde.synthetic import draw_face_mask

from .figures import new_figure, save_figure

LANDMARK_NAMES = ('left eye', 'right eye', 'nose tip', 'mouth left',
                  'mouth right')
LANDMARK_COLORS = ('tab:blue', 'tab:cyan', 'tab:orange', 'tab:red',
                   'tab:pink')


def _rgb(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[..., ::-1])


def draw_face_detections(img: np.ndarray,
                         faces: Sequence[Face],
                         out_file: str,
                         settings: CropSettings = CropSettings(size=112),
                         title: str = '',
                         seed: int = 0) -> str:
    """Draw the photo with every face's box, score and landmarks, and per
    face (at most 3) its crop by ``settings`` and the crop with a synthetic
    mask placed from the crop's landmarks.

    Args:
        img: The photo, ``H x W x 3`` BGR uint8.
        faces: Its detections.
        out_file: PNG to write.
        settings: How crops are made (as :func:`mmsde.apis.crop_faces`).
        title: Figure title.
        seed: Seed of the mask drawing.

    Returns:
        ``out_file``.
    """
    shown = list(faces)[:3]
    fig = new_figure((4.2 + 2.6 * max(len(shown), 1), 4.4))
    grid = fig.add_gridspec(2, 1 + max(len(shown), 1),
                            width_ratios=[1.6] + [1] * max(len(shown), 1))
    ax = fig.add_subplot(grid[:, 0])
    ax.imshow(_rgb(img))
    ax.set_title(f'{len(faces)} face(s) detected', fontsize=10)
    ax.set_axis_off()
    scale = max(img.shape[:2]) / 400
    for k, face in enumerate(faces):
        x1, y1, x2, y2 = face.box
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                               color='lime', lw=2))
        ax.text(x1, y1 - 4 * scale, f'#{k + 1} {face.score:.2f}',
                color='black', fontsize=8, va='bottom',
                bbox=dict(facecolor='lime', edgecolor='none', pad=1.5))
        if face.landmarks is not None:
            for (x, y), name, color in zip(face.landmarks, LANDMARK_NAMES,
                                           LANDMARK_COLORS):
                ax.scatter([x], [y], s=22, c=color, edgecolors='white',
                           linewidths=0.7, label=name if k == 0 else None,
                           zorder=3)
    if any(f.landmarks is not None for f in faces):
        ax.legend(loc='lower left', fontsize=7, framealpha=0.85)
    for k, face in enumerate(shown):
        _, [(crop, record)] = crop_image(img, [face],
                                         CropSettings(**dict(
                                             settings.to_dict(),
                                             score_thr=0.0)))
        masked = draw_face_mask(crop, record['crop_landmarks'],
                                rng=np.random.default_rng([seed, k]))
        for row, (pic, what) in enumerate(((crop, 'crop'),
                                           (masked, 'synthetic mask'))):
            cell = fig.add_subplot(grid[row, k + 1])
            cell.imshow(_rgb(pic))
            cell.set_title(f'#{k + 1} {what}\n({record["method"]}, '
                           f'{settings.size} px)' if row == 0 else
                           f'#{k + 1} {what}', fontsize=9)
            cell.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=11)
    return save_figure(fig, out_file)
