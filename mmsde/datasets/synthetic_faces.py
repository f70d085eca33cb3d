"""A procedural stand-in for MSD-E: cartoon faces with expressions and masks.

MSD-E (https://arxiv.org/abs/2304.03867) is not public. This module draws a
benchmark with the same layout, so every part of mmsde can be run and tested
end to end without it: subjects with their own identity (face shape, skin,
hair, eyes, glasses, pose, lighting, background), seven expressions in RAF-DB
order shown by brows, eyes AND mouth, and for every face a paired copy with a
synthetic mask. The upper-face cues are made weaker and overlap between some
classes (surprise/fear, disgust/anger, happiness/neutral), so hiding the
mouth makes classification measurably harder, as with real masks.

Every image depends only on ``(seed, subject, label, k)``, so a set is
byte-identical for a given seed.
"""
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .classes import FER_CLASSES
from .converters import (MASKED_DIR, NON_MASKED_DIR, pair_name,
                         prepare_msde_root, write_pairs_file, write_png)
from .transforms.face_mask import MASK_STYLES, draw_face_mask

EXPRESSIONS = FER_CLASSES

# Random streams, the last entry of a seed sequence ``[seed, subject, label,
# k, stream]``, so that identity, face and mask draw independent numbers.
_IDENTITY, _FACE, _MASK = 1, 2, 3

# Palettes, RGB (converted to BGR when drawn).
_SKIN = ((255, 224, 200), (242, 200, 168), (226, 178, 138), (200, 146, 104),
         (164, 110, 74), (112, 74, 52))
_HAIR = ((24, 20, 20), (62, 42, 30), (112, 76, 46), (206, 170, 112),
         (156, 70, 36), (168, 168, 168))
_IRIS = ((74, 48, 28), (44, 28, 18), (72, 118, 168), (82, 122, 72), (124, 92,
                                                                     52))
_HAIR_STYLES = ('short', 'long', 'fringe', 'bald')

Color = np.ndarray  # BGR, float


@dataclass
class Identity:
    """What stays fixed for one subject across its images.

    Geometry is in a canonical 112 x 112 frame whose eyes and mouth sit near
    the ArcFace template.
    """
    skin: Color
    hair: Color
    hair_style: str
    iris: Color
    lips: Color
    shirt: Color
    glasses: Optional[Color]
    background: Color
    bg_noise: np.ndarray  # low-resolution noise, upsampled when drawn
    face_axes: Tuple[float, float]
    face_cy: float
    jaw: float
    eye_dx: float
    eye_y: float
    eye_w: float
    brow_gap: float
    brow_width: float
    nose_y: float
    mouth_y: float
    mouth_scale: float
    light_angle: float
    light_gain: float
    pose: Tuple[float, float, float, float]  # dx, dy, log-scale, roll (deg)


@dataclass
class UpperFace:
    """Expression cues above the mask line."""
    brow_raise: float  # whole brow up (+) or down (-), canonical pixels
    brow_inner: float  # inner ends up (+, sad/fear) or down (-, anger)
    eye_open: float  # 1 = neutral opening
    furrow: float  # vertical lines between the brows, 0..1
    forehead: float  # horizontal forehead lines, 0..1
    cheek: float  # raised cheeks / lower lids, 0..1
    nose_wrinkle: float  # wrinkles on the nose bridge, 0..1


@dataclass
class Mouth:
    """Mouth shape: corners plus cubic inner-lip curves, or an open O."""
    half_width: float
    corner_dy: Tuple[float, float]  # left, right corner offsets (+ = down)
    upper: Tuple[float, float]  # inner upper-lip control offsets
    lower: Tuple[float, float]  # inner lower-lip control offsets
    lip_top: float
    lip_bottom: float
    teeth: str  # 'none', 'upper' or 'both' (clenched)
    round_open: float = 0.0  # > 0: an O-shaped mouth this tall


_UPPER = {  # label -> full-intensity upper-face cues
    0: UpperFace(4.5, 0.3, 1.45, 0.0, 1.0, 0.0, 0.0),  # Surprise
    1: UpperFace(3.6, 1.8, 1.35, 0.4, 0.7, 0.0, 0.0),  # Fear
    2: UpperFace(-1.8, -1.4, 0.72, 0.6, 0.0, 0.6, 0.9),  # Disgust
    3: UpperFace(0.3, 0.0, 0.78, 0.0, 0.0, 1.0, 0.0),  # Happiness
    4: UpperFace(0.4, 2.6, 0.82, 0.3, 0.4, 0.0, 0.0),  # Sadness
    5: UpperFace(-2.4, -3.0, 0.92, 1.0, 0.0, 0.0, 0.2),  # Anger
    6: UpperFace(0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),  # Neutral
}
_MOUTH = {  # label -> full-intensity mouth
    0: Mouth(7.0, (0, 0), (0, 0), (0, 0), 2.2, 2.8, 'none', round_open=13.0),
    1: Mouth(17.0, (2.5, 2.5), (-1.0, -1.0), (6.0, 6.0), 1.6, 2.6, 'upper'),
    2: Mouth(13.5, (-2.0, 2.0), (-6.5, -1.5), (0.5, 3.5), 2.4, 3.2, 'upper'),
    3: Mouth(16.5, (-5.5, -5.5), (3.0, 3.0), (11.0, 11.0), 1.8, 2.8, 'upper'),
    4: Mouth(12.5, (5.0, 5.0), (-3.5, -3.5), (-3.0, -3.0), 2.0, 4.0, 'none'),
    5: Mouth(12.0, (1.5, 1.5), (-2.0, -2.0), (2.8, 2.8), 1.2, 1.6, 'both'),
    6: Mouth(13.0, (0.4, 0.4), (0.3, 0.3), (0.3, 0.3), 2.2, 3.2, 'none'),
}


def _bgr(rgb: Sequence[float]) -> Color:
    return np.asarray(rgb[::-1], dtype=np.float64)


def _pick(rng: np.random.Generator, palette: Sequence) -> Color:
    """A palette colour, slightly perturbed, as BGR."""
    base = _bgr(palette[rng.integers(len(palette))])
    return np.clip(base * rng.uniform(0.92, 1.06) + rng.normal(0, 5, 3), 0,
                   255)


def make_identity(seed: int, subject: int) -> Identity:
    """Draw the identity of one subject.

    Args:
        seed (int): Seed of the whole set.
        subject (int): Subject ID.

    Returns:
        Identity: Everything that stays fixed across the subject's images.
    """
    rng = np.random.default_rng([seed, subject, 0, 0, _IDENTITY])
    skin = _pick(rng, _SKIN)
    hsv = np.uint8(
        [[[rng.integers(0, 180),
           rng.integers(0, 90),
           rng.integers(110, 235)]]])
    background = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(float)
    shirt = cv2.cvtColor(
        np.uint8([[[
            rng.integers(0, 180),
            rng.integers(30, 220),
            rng.integers(40, 220)
        ]]]), cv2.COLOR_HSV2BGR)[0, 0]
    glasses = None
    if rng.random() < 0.25:
        glasses = _bgr(
            ((30, 30, 30), (120, 80, 40), (170, 170, 175))[rng.integers(3)])
    return Identity(
        skin=skin,
        hair=_pick(rng, _HAIR),
        hair_style=_HAIR_STYLES[rng.choice(4, p=[0.4, 0.3, 0.2, 0.1])],
        iris=_pick(rng, _IRIS),
        lips=np.clip(skin * np.array([0.72, 0.68, 0.95]) + rng.normal(0, 6, 3),
                     0, 255),
        shirt=shirt.astype(float),
        glasses=glasses,
        background=background,
        bg_noise=rng.normal(0, 1, (5, 5)).astype(np.float32),
        face_axes=(rng.uniform(33.5, 39.0), rng.uniform(44.0, 50.0)),
        face_cy=rng.uniform(61.0, 65.0),
        jaw=rng.uniform(0.08, 0.3),
        eye_dx=rng.uniform(16.5, 18.8),
        eye_y=rng.uniform(50.0, 53.0),
        eye_w=rng.uniform(10.5, 13.0),
        brow_gap=rng.uniform(7.5, 9.5),
        brow_width=rng.uniform(1.8, 3.0),
        nose_y=rng.uniform(70.0, 73.5),
        mouth_y=rng.uniform(90.5, 93.5),
        mouth_scale=rng.uniform(0.9, 1.1),
        light_angle=rng.uniform(0, 2 * math.pi),
        light_gain=rng.uniform(0.04, 0.2),
        pose=(rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-0.07, 0.05),
              rng.uniform(-3, 3)),
    )


def expression_cues(label: int,
                    rng: np.random.Generator) -> Tuple[UpperFace, Mouth]:
    """Draw the expression of one image: class cues at a random intensity.

    The upper face varies widely in intensity and carries noise, the mouth
    stays close to its prototype: masks hide the more reliable cue.

    Args:
        label (int): Class index, see :data:`EXPRESSIONS`.
        rng (np.random.Generator): Per-image generator.

    Returns:
        tuple: ``(UpperFace, Mouth)``.
    """
    neutral_up, neutral_mouth = _UPPER[6], _MOUTH[6]
    t_up, t_mouth = rng.uniform(0.35, 1.0), rng.uniform(0.75, 1.0)
    up, mouth = _UPPER[label], _MOUTH[label]
    noise = rng.normal(0, [0.8, 0.6, 0.07, 0.1, 0.1, 0.1, 0.1])
    vals = [
        n + t_up * (c - n) + e for n, c, e in zip(
            vars(neutral_up).values(),
            vars(up).values(), noise)
    ]
    upper = UpperFace(*[float(v) for v in vals])
    upper.eye_open = max(upper.eye_open, 0.25)

    def mix(field: str):
        a, b = getattr(neutral_mouth, field), getattr(mouth, field)
        if isinstance(a, tuple):
            return tuple(x + t_mouth * (y - x) for x, y in zip(a, b))
        return a + t_mouth * (b - a)

    mouth = Mouth(
        half_width=mix('half_width'),
        corner_dy=mix('corner_dy'),
        upper=mix('upper'),
        lower=mix('lower'),
        lip_top=mouth.lip_top,
        lip_bottom=mouth.lip_bottom,
        teeth=mouth.teeth,
        round_open=t_mouth * mouth.round_open)
    return upper, mouth


class _Canvas:
    """An 8-bit image drawn in canonical 112-frame coordinates."""

    def __init__(self, size: int, matrix: np.ndarray):
        self.img = np.zeros((size, size, 3), np.uint8)
        self.matrix = matrix
        self.scale = math.sqrt(abs(np.linalg.det(matrix[:, :2])))

    def to_px(self, pts: np.ndarray) -> np.ndarray:
        """Canonical points ``(N, 2)`` to canvas pixels."""
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def _fixed(self, pts: np.ndarray) -> list:
        return [np.round(self.to_px(pts) * 16).astype(np.int32)]

    def fill(self, pts: np.ndarray, color: Color) -> None:
        """Fill a polygon."""
        cv2.fillPoly(
            self.img, self._fixed(pts), _cv_color(color), cv2.LINE_AA, shift=4)

    def line(self,
             pts: np.ndarray,
             color: Color,
             width: float,
             closed: bool = False) -> None:
        """Draw a polyline ``width`` canonical pixels wide."""
        thickness = max(1, int(round(width * self.scale)))
        cv2.polylines(
            self.img,
            self._fixed(pts),
            closed,
            _cv_color(color),
            thickness,
            cv2.LINE_AA,
            shift=4)

    def region(self, pts: np.ndarray) -> np.ndarray:
        """Boolean mask of a polygon's inside."""
        mask = np.zeros(self.img.shape[:2], np.uint8)
        cv2.fillPoly(mask, self._fixed(pts), 1, cv2.LINE_8, shift=4)
        return mask.astype(bool)

    def box(self, pts: np.ndarray) -> Tuple[slice, slice]:
        """Canvas slices of the bounding box of ``pts`` (with a margin)."""
        px = self.to_px(pts)
        h, w = self.img.shape[:2]
        x0, y0 = np.maximum(np.floor(px.min(0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(px.max(0)).astype(int) + 3, (w, h))
        return np.s_[y0:y1, x0:x1]

    def clipped(self, pts: np.ndarray, draw, extent: np.ndarray) -> None:
        """Run ``draw(self)`` but keep its pixels only inside polygon ``pts``.

        Args:
            pts (np.ndarray): The clipping polygon.
            draw (callable): Draws on the canvas.
            extent (np.ndarray): Points bounding everything ``draw`` paints.
        """
        box = self.box(np.concatenate([pts, extent]))
        before = self.img[box].copy()
        region = self.region(pts)[box]
        draw(self)
        self.img[box][~region] = before[~region]


def _cv_color(color: Color) -> Tuple[float, float, float]:
    return tuple(min(max(float(c), 0.0), 255.0) for c in color)


def _ellipse(cx: float,
             cy: float,
             ax: float,
             ay: float,
             t0: float = 0.0,
             t1: float = 2 * math.pi,
             n: int = 48) -> np.ndarray:
    t = np.linspace(t0, t1, n)
    return np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t)], 1)


def _bezier(p0, p1, p2, p3, n: int = 20) -> np.ndarray:
    """Points of a cubic Bezier curve."""
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2, p3 = (
        np.asarray(p, dtype=np.float64) for p in (p0, p1, p2, p3))
    return ((1 - t)**3 * p0 + 3 * (1 - t)**2 * t * p1 + 3 *
            (1 - t) * t**2 * p2 + t**3 * p3)


def face_outline(ident: Identity) -> np.ndarray:
    """Face contour: an ellipse narrowed towards the chin."""
    ax, ay = ident.face_axes
    t = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    narrow = 1 - ident.jaw * np.clip(np.sin(t), 0, None)**2
    return np.stack(
        [56 + ax * np.cos(t) * narrow, ident.face_cy + ay * np.sin(t)], 1)


def draw_background(cv: _Canvas, ident: Identity) -> None:
    """Plain wall with soft blotches."""
    size = cv.img.shape[0]
    noise = cv2.resize(
        ident.bg_noise, (size, size), interpolation=cv2.INTER_CUBIC)
    img = ident.background[None, None] + 10 * noise[..., None]
    cv.img[:] = np.clip(img, 0, 255).astype(np.uint8)


def draw_body(cv: _Canvas, ident: Identity) -> None:
    """Neck and shoulders."""
    ax, ay = ident.face_axes
    chin = ident.face_cy + ay
    cv.fill(
        np.array([(44, chin - 18), (68, chin - 18), (70, 130), (42, 130)]),
        ident.skin * 0.82)
    cv.fill(_ellipse(56, chin + 24, 62, 22), ident.shirt)
    cv.line(
        _ellipse(56, chin + 8, 14, 10, 0.15 * math.pi, 0.85 * math.pi),
        ident.shirt * 0.7, 1.6)


def draw_hair_back(cv: _Canvas, ident: Identity) -> None:
    """Hair falling behind the face (long styles)."""
    if ident.hair_style != 'long':
        return
    ax, ay = ident.face_axes
    top = _ellipse(56, ident.face_cy - 4, ax + 8, ay + 6, math.pi, 2 * math.pi)
    body = np.array([(56 + ax + 9, ident.face_cy + 40),
                     (56 - ax - 9, ident.face_cy + 40)])
    cv.fill(np.concatenate([top, body]), ident.hair * 0.85)


def draw_head(cv: _Canvas, ident: Identity) -> None:
    """Ears and the face with a soft rim shading."""
    ax, _ = ident.face_axes
    for side in (-1, 1):
        ex = 56 + side * (ax - 0.5)
        cv.fill(_ellipse(ex, ident.eye_y + 6, 5.0, 8.5), ident.skin * 0.9)
        t0 = -0.4 * math.pi if side > 0 else 0.6 * math.pi
        cv.line(
            _ellipse(ex, ident.eye_y + 6, 3.2, 6.0, t0, t0 + 0.8 * math.pi,
                     12), ident.skin * 0.72, 0.6)  # helix
    outline = face_outline(ident)
    cv.fill(outline, ident.skin)
    box = cv.box(outline)
    region = cv.region(outline)[box]
    ys, xs = np.ogrid[box]
    centre = cv.to_px([(56, ident.face_cy)])[0]
    rx, ry = (a * cv.scale for a in ident.face_axes)
    r2 = ((xs - centre[0]) / rx)**2 + ((ys - centre[1]) / ry)**2
    gain = 1.0 - 0.22 * np.clip(r2, 0, 1)**2
    patch = cv.img[box]
    shaded = np.round(patch[region] * gain[region][:, None])
    patch[region] = np.clip(shaded, 0, 255).astype(np.uint8)


def eye_centres(ident: Identity) -> np.ndarray:
    """Canonical centres of the left and right eye."""
    return np.array([(56 - ident.eye_dx, ident.eye_y),
                     (56 + ident.eye_dx, ident.eye_y)])


def draw_eyes(cv: _Canvas, ident: Identity, up: UpperFace) -> None:
    """Eyes whose opening and lower lids follow the expression."""
    w = ident.eye_w
    s = np.linspace(0, 1, 16)
    for side, (ex, ey) in zip((-1, 1), eye_centres(ident)):
        xs = ex - w / 2 + w * s
        bump = np.sin(math.pi * s)**0.85
        skew = 1 + 0.15 * side * (s - 0.5)  # upper lid peaks off-centre
        upper = np.stack([xs, ey - 3.4 * up.eye_open * bump * skew], 1)
        low_h = 2.1 * up.eye_open * (1 - 0.45 * np.clip(up.cheek, 0, 1))
        lower = np.stack([xs, ey + low_h * bump], 1)
        eye = np.concatenate([upper, lower[::-1]])
        cv.fill(eye, np.array([236, 238, 240.0]))

        def iris(c: _Canvas, ex=ex, ey=ey):
            c.fill(_ellipse(ex, ey + 0.3, 3.1, 3.1), ident.iris)
            c.fill(_ellipse(ex, ey + 0.3, 1.4, 1.4), np.zeros(3))
            c.fill(_ellipse(ex + 0.9, ey - 0.8, 0.6, 0.6), np.full(3, 250.0))

        cv.clipped(eye, iris,
                   np.array([(ex - 3.2, ey - 3), (ex + 3.2, ey + 3.5)]))
        cv.line(upper, np.full(3, 25.0), 1.1)
        cv.line(lower, ident.skin * 0.55, 0.45)
        crease = upper + [0, -2.0 - 0.6 * up.eye_open]
        cv.line(crease[3:-3], ident.skin * 0.78, 0.5)
        if up.cheek > 0.25:  # raised cheeks push up a fold under the eye
            fold = lower[2:-2] + [0, 2.2]
            cv.line(fold, ident.skin * (1 - 0.2 * min(up.cheek, 1)), 0.6)


def draw_brows(cv: _Canvas, ident: Identity, up: UpperFace) -> None:
    """Brows: raised, lowered, slanted, plus forehead and frown lines."""
    w = ident.eye_w
    brow = np.minimum(ident.hair, ident.skin * 0.6) * 0.85  # visible on skin
    for side, (ex, ey) in zip((-1, 1), eye_centres(ident)):
        base = ey - ident.brow_gap - up.brow_raise
        inner_x = ex - side * (0.55 * w - 0.8 * max(up.furrow, 0))
        pts = np.array([
            (ex + side * 0.65 * w, base + 1.5 + 0.3 * up.brow_inner),
            (ex + side * 0.2 * w, base - 1.4 - 0.35 * up.brow_inner),
            (inner_x, base - up.brow_inner),
        ])
        cv.line(
            _bezier(pts[0], pts[1], pts[1], pts[2]), brow, ident.brow_width)
    top = ident.eye_y - ident.brow_gap - up.brow_raise
    if up.furrow > 0.2:
        tone = ident.skin * (1 - 0.22 * min(up.furrow, 1))
        for x in (54, 58):
            cv.line(
                np.array([(x, top + 1.5), (x + (x - 56) * 0.3, top - 3.5)]),
                tone, 0.6)
    if up.forehead > 0.2:
        tone = ident.skin * (1 - 0.18 * min(up.forehead, 1))
        for i in range(3):
            y = top - 4.5 - 2.6 * i
            cv.line(
                _bezier((44, y + 1), (50, y - 1), (62, y - 1), (68, y + 1)),
                tone, 0.5)


def draw_nose(cv: _Canvas, ident: Identity, up: UpperFace) -> np.ndarray:
    """Nose with nostrils; disgust wrinkles its bridge. Returns the tip."""
    tip = np.array([56.0, ident.nose_y])
    shade = ident.skin * 0.7
    side_lit = 1 if math.cos(ident.light_angle) < 0 else -1
    cv.line(
        _bezier((56 + side_lit * 2.6, ident.eye_y + 2),
                (56 + side_lit * 3.2, ident.eye_y + 8),
                (56 + side_lit * 3.6, ident.nose_y - 8),
                (56 + side_lit * 4.2, ident.nose_y - 4)), ident.skin * 0.9,
        0.9)
    for side in (-1, 1):
        cv.line(
            _ellipse(56 + side * 4.6, ident.nose_y - 0.3, 2.2, 2.6,
                     0.5 * math.pi - side * 0.9, 0.5 * math.pi + side * 1.6,
                     12), shade, 0.6)
        cv.fill(
            _ellipse(56 + side * 2.4, ident.nose_y + 1.2, 1.3, 0.7),
            ident.skin * 0.35)
    if up.nose_wrinkle > 0.3:
        tone = ident.skin * (1 - 0.25 * min(up.nose_wrinkle, 1))
        for dy in (3.5, 5.5):
            y = ident.eye_y + dy
            cv.line(np.array([(53.5, y), (56, y - 0.6), (58.5, y)]), tone, 0.5)
    return tip


def _lip_curves(ident: Identity,
                mouth: Mouth) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corners and inner upper/lower lip curves of a lips-type mouth."""
    hw = mouth.half_width * ident.mouth_scale
    cy = ident.mouth_y
    left = np.array([56 - hw, cy + mouth.corner_dy[0]])
    right = np.array([56 + hw, cy + mouth.corner_dy[1]])

    def inner(offsets):
        return _bezier(left, (56 - hw / 3, cy + offsets[0]),
                       (56 + hw / 3, cy + offsets[1]), right)

    upper, lower = inner(mouth.upper), inner(mouth.lower)
    lower[:, 1] = np.maximum(lower[:, 1], upper[:, 1])
    return np.stack([left, right]), upper, lower


def draw_mouth(cv: _Canvas, ident: Identity, mouth: Mouth) -> np.ndarray:
    """Lips, opening and teeth. Returns the two mouth corners."""
    cy = ident.mouth_y
    if mouth.round_open > 0:
        hw = mouth.half_width * ident.mouth_scale
        hh = mouth.round_open / 2
        cv.fill(_ellipse(56, cy + 1.5, hw + 2.2, hh + 2.6), ident.lips)
        cv.fill(_ellipse(56, cy + 1.5, hw, hh), np.array([40, 30, 70.0]))
        cv.fill(
            _ellipse(56, cy + 1.5 + hh * 0.55, hw * 0.6, hh * 0.35),
            np.array([90, 80, 170.0]))  # tongue
        return np.array([(56 - hw - 2.2, cy + 1.5), (56 + hw + 2.2, cy + 1.5)])
    corners, upper, lower = _lip_curves(ident, mouth)
    s = np.linspace(0, 1, len(upper))[:, None]
    bulge = np.sin(math.pi * s)
    bow = 0.5 * np.exp(-((s - 0.5) / 0.08)**2)  # Cupid's bow dip
    upper_out = upper - [0, 1] * (mouth.lip_top * bulge - bow)
    lower_out = lower + [0, 1] * (mouth.lip_bottom * bulge)
    gap = float(np.max(lower[:, 1] - upper[:, 1]))
    if gap > 0.8:
        opening = np.concatenate([upper, lower[::-1]])
        cv.fill(opening, np.array([45, 35, 80.0]))
        if mouth.teeth == 'both':  # clenched: teeth fill the opening
            cv.fill(opening, np.array([215, 228, 235.0]))
            cv.line((upper + lower) / 2, np.array([90, 90, 110.0]), 0.5)
        elif mouth.teeth == 'upper':
            teeth_low = upper.copy()
            teeth_low[:, 1] = np.minimum(upper[:, 1] + 0.45 * gap + 1.0,
                                         lower[:, 1])
            cv.fill(
                np.concatenate([upper, teeth_low[::-1]]),
                np.array([225, 235, 240.0]))
    cv.fill(np.concatenate([upper_out, upper[::-1]]), ident.lips * 0.92)
    cv.fill(np.concatenate([lower, lower_out[::-1]]), ident.lips)
    cv.line(upper, ident.lips * 0.55, 0.6)
    return corners


def draw_hair_top(cv: _Canvas, ident: Identity) -> None:
    """Hair over the top of the head, with a fringe for some styles."""
    if ident.hair_style == 'bald':
        return
    ax, ay = ident.face_axes
    cap = _ellipse(56, ident.face_cy - 3, ax + 3.5, ay + 5, math.pi,
                   2 * math.pi, 36)
    brow_top = ident.eye_y - ident.brow_gap
    if ident.hair_style == 'fringe':
        xs = np.linspace(56 + ax, 56 - ax, 13)
        ys = brow_top - 6 + 1.8 * (np.arange(13) % 2)
        ys[[0, -1]] = ident.eye_y - 3
        line = np.stack([xs, ys], 1)
    else:
        line = _bezier(
            (56 + ax + 0.5, ident.eye_y - 4), (56 + ax * 0.6, brow_top - 22),
            (56 - ax * 0.6, brow_top - 22), (56 - ax - 0.5, ident.eye_y - 4))
    cv.fill(np.concatenate([cap, line]), ident.hair)
    for i in range(5):  # a few strands for texture
        x = 56 - ax * 0.6 + i * ax * 0.3
        cv.line(
            _bezier((x, ident.face_cy - ay - 2), (x - 4, brow_top - 20),
                    (x - 2, brow_top - 14), (x - 3, brow_top - 10)),
            ident.hair * 1.25 + 10, 0.5)


def draw_glasses(cv: _Canvas, ident: Identity) -> None:
    """Rounded-rectangle frames for subjects who wear glasses."""
    if ident.glasses is None:
        return
    t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    shape = np.stack([
        np.sign(np.cos(t)) * np.abs(np.cos(t))**0.6,
        np.sign(np.sin(t)) * np.abs(np.sin(t))**0.6
    ], 1)
    for (ex, ey) in eye_centres(ident):
        cv.line(
            shape * [8.5, 6.2] + [ex, ey + 0.8],
            ident.glasses,
            1.0,
            closed=True)
    left, right = eye_centres(ident)
    cv.line(
        np.array([left + [8.5, 0], (56, left[1] - 1.0), right - [8.5, 0]]),
        ident.glasses, 1.0)
    ax = ident.face_axes[0]
    for side, (ex, ey) in zip((-1, 1), eye_centres(ident)):
        cv.line(
            np.array([(ex + side * 8.5, ey - 1), (56 + side * ax, ey)]),
            ident.glasses, 1.0)


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
    if label not in _UPPER:
        raise ValueError(f'label must be in 0..6 ({EXPRESSIONS}), '
                         f'got {label!r}.')
    upper, mouth = expression_cues(label, rng)
    ss = max(2, math.ceil(224 / img_size))  # draw large, then downscale
    cv = _Canvas(img_size * ss,
                 _pose_matrix(ident, rng if jitter else None, img_size * ss))
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


def render_pair(
    seed: int,
    subject: int,
    label: int,
    k: int = 0,
    img_size: int = 112,
    mask_styles: Sequence[str] = MASK_STYLES,
    ident: Optional[Identity] = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one non-masked face and its masked copy.

    Args:
        seed (int): Seed of the set.
        subject (int): Subject ID.
        label (int): Expression index.
        k (int): Index of the image among the subject's images of ``label``.
        img_size (int): Output side in pixels. Defaults to 112.
        mask_styles (Sequence[str]): Mask styles to draw from.
        ident (Identity, optional): The subject's identity if already made.

    Returns:
        tuple: ``(non_masked, masked, landmarks)``.
    """
    ident = make_identity(seed, subject) if ident is None else ident
    face_rng = np.random.default_rng([seed, subject, label, k, _FACE])
    face, landmarks = render_face(ident, label, face_rng, img_size)
    mask_rng = np.random.default_rng([seed, subject, label, k, _MASK])
    style = mask_styles[mask_rng.integers(len(mask_styles))]
    masked = draw_face_mask(face, landmarks, style=style, rng=mask_rng)
    return face, masked, landmarks


def generate_synthetic_msde(out_dir: Union[str, Path],
                            num_subjects: int = 142,
                            img_size: int = 112,
                            seed: int = 0,
                            images_per_expression: int = 1,
                            mask_styles: Sequence[str] = MASK_STYLES,
                            overwrite: bool = False) -> Dict:
    """Write a synthetic benchmark in MSD-E's layout.

    ``<out_dir>/MSD-E/<name>.png`` holds the faces, ``<out_dir>/MSD-ME/``
    the same faces with a mask, ``<out_dir>/Paired_files.txt`` one
    ``<name>,<label>`` line per pair. Names are
    ``<subject:03d>_<label>_<k>.png``, subjects ``1..num_subjects``.

    Args:
        out_dir (str | Path): Output root.
        num_subjects (int): Number of subjects. Defaults to 142, as MSD-E.
        img_size (int): Image side in pixels. Defaults to 112.
        seed (int): Seed; the same seed gives byte-identical files.
        images_per_expression (int): Images per subject and expression.
            Defaults to 1.
        mask_styles (Sequence[str]): Mask styles to draw from.
        overwrite (bool): Replace an existing set in a non-empty
            ``out_dir``. Defaults to False.

    Returns:
        dict: Summary with the counts and paths written.
    """
    for name, value, low in (('num_subjects', num_subjects, 1), ('img_size',
                                                                 img_size, 24),
                             ('images_per_expression', images_per_expression,
                              1), ('seed', seed, 0)):
        if int(value) != value or value < low:
            raise ValueError(f'{name} must be an integer >= {low}, '
                             f'got {value!r}.')
    if num_subjects > 999:
        raise ValueError(f'num_subjects must be <= 999 (3-digit subject '
                         f'IDs), got {num_subjects}.')
    bad = [s for s in mask_styles if s not in MASK_STYLES]
    if bad or not mask_styles:
        raise ValueError(f'mask_styles must be a non-empty subset of '
                         f'{MASK_STYLES}, got {tuple(mask_styles)}.')
    start = time.perf_counter()
    root = prepare_msde_root(out_dir, overwrite)
    rows = []
    for subject in range(1, num_subjects + 1):
        ident = make_identity(seed, subject)
        for label in range(len(EXPRESSIONS)):
            for k in range(images_per_expression):
                face, masked, _ = render_pair(seed, subject,
                                              label, k, img_size,
                                              tuple(mask_styles), ident)
                name = pair_name(subject, label, k)
                write_png(root / NON_MASKED_DIR / name, face)
                write_png(root / MASKED_DIR / name, masked)
                rows.append((name, label))
    pairs_file = write_pairs_file(root, rows)
    return dict(
        root=str(root),
        non_masked_dir=str(root / NON_MASKED_DIR),
        masked_dir=str(root / MASKED_DIR),
        pairs_file=str(pairs_file),
        num_subjects=num_subjects,
        num_pairs=len(rows),
        num_images=2 * len(rows),
        img_size=img_size,
        seed=seed,
        seconds=round(time.perf_counter() - start, 2))
