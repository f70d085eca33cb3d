"""Detection scenes: synthetic faces pasted onto procedural backgrounds.

A scene is a backdrop of gradients, noise and random shapes with 0, 1 or
several faces of :func:`~mmsde.synthetic.render_face` pasted at different
sizes and positions, blended in through a soft head-shaped mask. Each face
comes with its box (the face oval, ears and hair excluded, in integer pixel
``x1, y1, x2, y2``) and its 5 landmarks (the renderer's true points moved by
the paste transform). Every scene depends only on ``(seed, index)``.

Drawing only, no files: :func:`mmsde.datasets.generate_face_scenes` writes
scenes in WIDER FACE's VOC layout.
"""
import math
from dataclasses import dataclass
from typing import Tuple, Union

import cv2
import numpy as np

from .canvas import SHIFT
from .faces import eye_centres, face_outline
from .identity import EXPRESSIONS, Identity, make_identity
from .render import render_face

#: Last entry of a scene's seed sequence ``[seed, index, stream]``, apart
#: from the identity, face, mask and identity-set streams (1-4).
SCENE_STREAM = 5
#: Scene faces are people numbered from here on, apart from the benchmark's
#: subjects (1-999) and the identity set's (from 1000).
FIRST_SCENE_SUBJECT = 100_000

Size = Union[int, Tuple[int, int]]


@dataclass
class Scene:
    """One generated detection scene.

    Attributes:
        img (np.ndarray): ``height x width x 3`` uint8 BGR.
        bboxes (np.ndarray): ``(N, 4)`` float32 face boxes ``x1, y1, x2,
            y2`` in whole pixels, inside the image.
        landmarks (np.ndarray): ``(N, 5, 2)`` float32 pixel ``(x, y)`` of
            left eye, right eye, nose tip, left and right mouth corners.
        expressions (np.ndarray): ``(N,)`` int64 expression index of each
            face (see :data:`~mmsde.synthetic.EXPRESSIONS`).
        subjects (np.ndarray): ``(N,)`` int64 identity of each face (for
            :func:`~mmsde.synthetic.make_identity` with the scene's seed).
    """
    img: np.ndarray
    bboxes: np.ndarray
    landmarks: np.ndarray
    expressions: np.ndarray
    subjects: np.ndarray


def _check_size(img_size: Size) -> Tuple[int, int]:
    """``img_size`` as ``(width, height)``."""
    width, height = (img_size, img_size) if np.isscalar(img_size) \
        else tuple(img_size)
    if int(width) != width or int(height) != height or min(width,
                                                           height) < 32:
        raise ValueError('img_size must be an integer or a (width, height) '
                         f'pair of integers >= 32, got {img_size!r}')
    return int(width), int(height)


def _random_color(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0, 255, 3)


def draw_backdrop(width: int, height: int,
                  rng: np.random.Generator) -> np.ndarray:
    """A procedural background: a gradient, smooth noise and random shapes.

    Args:
        width (int): Image width.
        height (int): Image height.
        rng (np.random.Generator): Draws everything.

    Returns:
        np.ndarray: ``height x width x 3`` uint8 BGR.
    """
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    t = xs / width * math.cos(angle) + ys / height * math.sin(angle)
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    c0, c1 = _random_color(rng), _random_color(rng)
    img = c0 + t[..., None] * (c1 - c0)
    cells = rng.integers(3, 9)
    noise = rng.normal(0, 1, (cells, cells, 3)).astype(np.float32)
    img += rng.uniform(5, 30) * cv2.resize(
        noise, (width, height), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img, 0, 255).astype(np.uint8)
    scale = min(width, height)
    for _ in range(rng.integers(2, 12)):
        color = tuple(float(c) for c in _random_color(rng))
        kind = rng.integers(4)
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(0.03, 0.3) * scale
        if kind == 0:  # rectangle
            pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * \
                (size, size * rng.uniform(0.3, 1.5))
        elif kind == 1:  # ellipse
            a = np.linspace(0, 2 * math.pi, 24, endpoint=False)
            pts = np.stack([np.cos(a), rng.uniform(0.3, 1) * np.sin(a)],
                           1) * size
        elif kind == 2:  # triangle
            pts = rng.uniform(-size, size, (3, 2))
        else:  # thick line
            end = rng.uniform(-2 * size, 2 * size, 2)
            cv2.line(img, (int(x), int(y)), (int(x + end[0]), int(y + end[1])),
                     color, int(rng.integers(1, max(2, scale // 30))),
                     cv2.LINE_AA)
            continue
        rot = rng.uniform(0, 2 * math.pi)
        c, s = math.cos(rot), math.sin(rot)
        pts = pts @ np.array([[c, s], [-s, c]]) + (x, y)
        cv2.fillPoly(img, [np.round(pts * (1 << SHIFT)).astype(np.int32)],
                     color, cv2.LINE_AA, shift=SHIFT)
    return img


def _canonical_to_image(canon: np.ndarray, px: np.ndarray) -> np.ndarray:
    """The similarity ``2 x 3`` that maps the canonical eye centres
    ``canon`` onto their pixels ``px`` (the renderer's canonical-to-image
    map is a similarity, so two points determine it)."""
    zc = complex(*canon[1]) - complex(*canon[0])
    zp = complex(*px[1]) - complex(*px[0])
    a = zp / zc
    b = complex(*px[0]) - a * complex(*canon[0])
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])


def _apply(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ matrix[:, :2].T + matrix[:, 2]


def face_box(ident: Identity, landmarks: np.ndarray) -> np.ndarray:
    """The box of a rendered face's oval (ears and hair excluded).

    Args:
        ident (Identity): The face's identity.
        landmarks (np.ndarray): The 5 landmarks :func:`render_face` returned
            with the face.

    Returns:
        np.ndarray: ``x1, y1, x2, y2`` (float) in the face image's pixels.
    """
    matrix = _canonical_to_image(eye_centres(ident), landmarks[:2])
    oval = _apply(matrix, face_outline(ident))
    return np.concatenate([oval.min(0), oval.max(0)])


def _head_alpha(size: int, matrix: np.ndarray, face_cy: float,
                axes: Tuple[float, float]) -> np.ndarray:
    """Soft mask of the head (face, hair, a little neck) of a face crop."""
    t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    pts = np.stack([56 + 1.22 * axes[0] * np.cos(t),
                    face_cy - 3 + 1.16 * axes[1] * np.sin(t)], 1)
    mask = np.zeros((size, size), np.float32)
    poly = np.round(_apply(matrix, pts) * (1 << SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [poly], 1.0, cv2.LINE_AA, shift=SHIFT)
    return cv2.GaussianBlur(mask, (0, 0), max(0.6, size / 40))[..., None]


def _place(rng: np.random.Generator, size: int, width: int, height: int,
           taken: list, tries: int = 30):
    """Top-left corner of a ``size`` square that overlaps no square in
    ``taken``, or None."""
    for _ in range(tries):
        x0 = int(rng.integers(0, width - size + 1))
        y0 = int(rng.integers(0, height - size + 1))
        if all(x0 + size <= x or x + s <= x0 or y0 + size <= y or
               y + s <= y0 for x, y, s in taken):
            return x0, y0
    return None


def render_scene(seed: int,
                 index: int,
                 img_size: Size = 160,
                 num_faces: Tuple[int, int] = (0, 3),
                 face_size: Tuple[float, float] = (0.15, 0.6)) -> Scene:
    """Draw one detection scene.

    Faces are drawn as square crops (see :func:`render_face`) whose side is
    a fraction ``face_size`` of the shorter image side, and pasted without
    overlapping each other; a face that finds no free place is left out, so
    a crowded scene may hold fewer faces than drawn.

    Args:
        seed (int): Seed of the set.
        index (int): Index of the scene in the set.
        img_size (int | tuple): Side, or ``(width, height)``, in pixels.
            Defaults to 160.
        num_faces (tuple): Inclusive range of the number of faces drawn.
            Defaults to ``(0, 3)``.
        face_size (tuple): Range of a face crop's side as a fraction of the
            shorter image side (the face box is about 0.65 x 0.85 of it).
            Defaults to ``(0.15, 0.6)``.

    Returns:
        Scene: The image and the faces' boxes, landmarks, expressions and
        subjects, faces in the order drawn.
    """
    width, height = _check_size(img_size)
    lo, hi = num_faces
    if not 0 <= lo <= hi:
        raise ValueError(f'num_faces must be a range (min, max) with '
                         f'0 <= min <= max, got {num_faces!r}')
    if not 0 < face_size[0] <= face_size[1] <= 1:
        raise ValueError('face_size must be a range (min, max) within '
                         f'(0, 1], got {face_size!r}')
    rng = np.random.default_rng([seed, index, SCENE_STREAM])
    img = draw_backdrop(width, height, rng).astype(np.float32)
    short = min(width, height)
    taken, boxes, points, labels, subjects = [], [], [], [], []
    for _ in range(rng.integers(lo, hi + 1)):
        size = min(max(24, int(round(rng.uniform(*face_size) * short))),
                   short)
        subject = int(rng.integers(FIRST_SCENE_SUBJECT, 2**31))
        label = int(rng.integers(len(EXPRESSIONS)))
        face_rng = np.random.default_rng(rng.integers(2**63))
        corner = _place(rng, size, width, height, taken)
        if corner is None:
            continue
        ident = make_identity(seed, subject)
        face, lms = render_face(ident, label, face_rng, size)
        matrix = _canonical_to_image(eye_centres(ident), lms[:2])
        alpha = _head_alpha(size, matrix, ident.face_cy, ident.face_axes)
        x0, y0 = corner
        patch = img[y0:y0 + size, x0:x0 + size]
        patch[:] = alpha * face + (1 - alpha) * patch
        # The paste is a translation of the crop by (x0, y0).
        box = face_box(ident, lms)
        x1, y1 = np.floor(box[:2]).clip(0, size) + (x0, y0)
        x2, y2 = np.ceil(box[2:]).clip(0, size) + (x0, y0)
        boxes.append((x1, y1, x2, y2))
        points.append(lms + (x0, y0))
        labels.append(label)
        subjects.append(subject)
        taken.append((x0, y0, size))
    img += rng.normal(0, rng.uniform(0.5, 3.0), img.shape)
    return Scene(
        img=np.clip(np.round(img), 0, 255).astype(np.uint8),
        bboxes=np.array(boxes, np.float32).reshape(-1, 4),
        landmarks=np.array(points, np.float32).reshape(-1, 5, 2),
        expressions=np.array(labels, np.int64),
        subjects=np.array(subjects, np.int64))
