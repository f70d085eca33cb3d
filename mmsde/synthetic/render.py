"""Render synthetic faces and their masked views.

A face is drawn at a multiple of the output size (:mod:`mmsde.synthetic.faces`), then
blurred, downscaled, lit and given sensor noise. Every image depends only on
``(seed, subject, label, k)`` and the masked view's mode, so a set is
byte-identical for a given seed and mode.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from .faces import (FaceCanvas, draw_background, draw_body, draw_brows,
                    draw_eyes, draw_glasses, draw_hair_back, draw_hair_top,
                    draw_head, draw_mouth, draw_nose, eye_centres)
from .identity import (EXPRESSIONS, FACE_STREAM, MASK_STREAM,
                       SECOND_PHOTO_STREAM, UPPER_CUES, Identity,
                       expression_cues, make_identity)
from .masks import MASK_STYLES, draw_face_mask

#: How the masked image of a pair is made: ``'overlay'``, a mask drawn on
#: the non-masked image itself (the two agree pixel for pixel outside the
#: mask); ``'second_photo'``, a mask drawn on a second photograph of the
#: same person and expression, as MSD-E photographs each expression twice.
MASKED_VIEWS = ('overlay', 'second_photo')

Photo = Tuple[np.ndarray, np.ndarray]  # (image, landmarks)


def _light(img: np.ndarray, ident: Identity) -> np.ndarray:
    """Directional lighting as a linear brightness gradient."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    proj = ((xs / w - 0.5) * math.cos(ident.light_angle) +
            (ys / h - 0.5) * math.sin(ident.light_angle))
    return img * (1 + 2 * ident.light_gain * proj)[..., None]


def _pose_matrix(ident: Identity, rng: Optional[np.random.Generator],
                 canvas: int) -> np.ndarray:
    """Canonical-to-canvas affine: subject pose plus per-image jitter."""
    dx, dy, log_s, roll = ident.pose
    if rng is not None:
        dx, dy = dx + rng.uniform(-1.5, 1.5), dy + rng.uniform(-1.5, 1.5)
        log_s, roll = log_s + rng.uniform(-0.025, 0.025), \
            roll + rng.uniform(-2.5, 2.5)
    centre = np.array([56.0, ident.face_cy])
    scale = math.exp(log_s) * canvas / 112.0
    rot = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), -roll,
                                  1.0)
    rot[:, 2] += (dx, dy)
    return rot * scale


def render_face(ident: Identity,
                label: int,
                rng: np.random.Generator,
                img_size: int = 112,
                jitter: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one face with an expression.

    Args:
        ident (Identity): The subject, see :func:`make_identity`.
        label (int): Expression index, see :data:`EXPRESSIONS`.
        rng (np.random.Generator): Per-image generator (expression intensity,
            pose jitter, noise).
        img_size (int): Output side in pixels. Defaults to 112.
        jitter (bool): Add per-image pose jitter and sensor noise. Defaults
            to True.

    Returns:
        tuple: ``(img, landmarks)``; ``img`` is ``img_size x img_size x 3``
        uint8 BGR, ``landmarks`` the true 5 points (left eye, right eye,
        nose tip, left and right mouth corners) in pixel ``(x, y)``.
    """
    if label not in UPPER_CUES:
        raise ValueError(f'label must be in 0..6 ({EXPRESSIONS}), '
                         f'got {label!r}.')
    upper, mouth = expression_cues(label, rng)
    ss = max(2, math.ceil(224 / img_size))  # draw large, then downscale
    matrix = _pose_matrix(ident, rng if jitter else None, img_size * ss)
    cv = FaceCanvas(img_size * ss, matrix)
    draw_background(cv, ident)
    draw_body(cv, ident)
    draw_hair_back(cv, ident)
    draw_head(cv, ident)
    draw_brows(cv, ident, upper)
    draw_eyes(cv, ident, upper)
    tip = draw_nose(cv, ident, upper)
    corners = draw_mouth(cv, ident, mouth)
    draw_hair_top(cv, ident)
    draw_glasses(cv, ident)
    canon = np.concatenate([eye_centres(ident), tip[None], corners])
    landmarks = (cv.to_px(canon) + 0.5) / ss - 0.5
    img = cv2.GaussianBlur(cv.img, (0, 0), 0.35 * ss)
    img = cv2.resize(img, (img_size, img_size), interpolation=cv2.INTER_AREA)
    img = _light(img.astype(np.float32), ident)
    if jitter:
        img = img + rng.normal(0, rng.uniform(1.0, 3.5), img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), landmarks


def check_masked_view(masked_view: str, name: str = 'masked_view') -> str:
    """Return ``masked_view``, refusing a mode not in :data:`MASKED_VIEWS`.

    Args:
        masked_view (str): The mode.
        name (str): The argument's name, for the message.

    Returns:
        str: ``masked_view``.
    """
    if masked_view not in MASKED_VIEWS:
        raise ValueError(f'{name} must be one of {MASKED_VIEWS}, got '
                         f'{masked_view!r}.')
    return masked_view


def _image_rng(seed: int, subject: int, label: int, k: int,
               stream: int) -> np.random.Generator:
    """The generator of one image's ``stream`` (see :mod:`.identity`)."""
    return np.random.default_rng([seed, subject, label, k, stream])


def render_pair_photos(seed: int,
                       subject: int,
                       label: int,
                       k: int = 0,
                       img_size: int = 112,
                       ident: Optional[Identity] = None,
                       masked_view: str = 'overlay') -> Tuple[Photo, Photo]:
    """The two unmasked photographs of a pair, before the mask is drawn.

    The first is the non-masked image. With ``masked_view='overlay'`` the
    second is the first itself; with ``'second_photo'`` it is the same
    subject and expression class drawn again from its own random stream:
    expression intensity and noise, pose jitter and sensor noise are drawn
    anew, what belongs to the subject (face, hair, glasses, background,
    lighting) stays.

    Args:
        seed (int): Seed of the set.
        subject (int): Subject ID.
        label (int): Expression index.
        k (int): Index of the image among the subject's images of ``label``.
        img_size (int): Output side in pixels. Defaults to 112.
        ident (Identity, optional): The subject's identity if already made.
        masked_view (str): One of :data:`MASKED_VIEWS`.
            Defaults to ``'overlay'``.

    Returns:
        tuple: ``((non_masked, landmarks), (photo, photo_landmarks))``, as
        :func:`render_face` returns each.
    """
    check_masked_view(masked_view)
    ident = make_identity(seed, subject) if ident is None else ident
    first = render_face(ident, label,
                        _image_rng(seed, subject, label, k, FACE_STREAM),
                        img_size)
    if masked_view == 'overlay':
        return first, first
    second = render_face(
        ident, label, _image_rng(seed, subject, label, k, SECOND_PHOTO_STREAM),
        img_size)
    return first, second


def render_pair(
    seed: int,
    subject: int,
    label: int,
    k: int = 0,
    img_size: int = 112,
    mask_styles: Sequence[str] = MASK_STYLES,
    ident: Optional[Identity] = None,
    masked_view: str = 'overlay'
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one non-masked face and its masked view.

    ``masked_view='overlay'`` draws the mask on the non-masked image itself
    (the bundled benchmark's first version, byte-identical for a seed).
    ``'second_photo'`` draws it, at the second photo's landmarks, on a
    second photograph of the same subject and expression class
    (:func:`render_pair_photos`), as MSD-E photographs every expression
    once without and once with a mask: expression intensity, head position
    and sensor noise differ between the two images of a pair. The
    non-masked image is the same in both modes, and so are the mask's style
    and draws (its own stream), so two sets of one seed differ in the
    masked photographs only.

    Lighting stays the subject's in both photographs: a per-photograph
    variation drawn for the second photo alone would make masked images
    systematically more variably lit than non-masked ones, and one drawn
    for both would change the non-masked images, which the two modes share
    so that their benchmarks differ in one thing only.

    Args:
        seed, subject, label, k, img_size, ident, masked_view: Which pair,
            drawn how, as for :func:`render_pair_photos`.
        mask_styles (Sequence[str]): Mask styles to draw from.

    Returns:
        tuple: ``(non_masked, masked, landmarks)``; ``landmarks`` are the
        non-masked image's (the masked image's too for ``'overlay'``; for
        ``'second_photo'`` those of the second photo are returned by
        :func:`render_pair_photos`).
    """
    (face, landmarks), (photo, photo_landmarks) = render_pair_photos(
        seed, subject, label, k, img_size, ident, masked_view)
    mask_rng = _image_rng(seed, subject, label, k, MASK_STREAM)
    style = mask_styles[mask_rng.integers(len(mask_styles))]
    masked = draw_face_mask(photo, photo_landmarks, style=style, rng=mask_rng)
    return face, masked, landmarks
