"""The parts of a synthetic face, drawn in a canonical 112 x 112 frame
whose eyes and mouth sit near the ArcFace template."""
import math
from typing import Tuple

import cv2
import numpy as np

from .canvas import SHIFT, Canvas, bezier, ellipse
from .identity import Color, Identity, Mouth, UpperFace


class FaceCanvas:
    """An 8-bit image drawn in the canonical 112-frame coordinates.

    Args:
        size (int): Side of the square image in pixels.
        matrix (np.ndarray): ``2 x 3`` affine from canonical to pixels.
    """

    def __init__(self, size: int, matrix: np.ndarray):
        self.img = np.zeros((size, size, 3), np.uint8)
        self.matrix = matrix
        self.scale = math.sqrt(abs(np.linalg.det(matrix[:, :2])))
        self.canvas = Canvas(self.to_px, self.scale)

    def to_px(self, pts: np.ndarray) -> np.ndarray:
        """Canonical points ``(N, 2)`` to canvas pixels."""
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def fill(self, pts: np.ndarray, color: Color) -> None:
        """Fill a polygon on the image."""
        self.canvas.fill(self.img, pts, color)

    def line(self,
             pts: np.ndarray,
             color: Color,
             width: float,
             closed: bool = False) -> None:
        """Draw a polyline ``width`` canonical pixels wide on the image."""
        self.canvas.line(self.img, pts, color, width, closed)

    def region(self, pts: np.ndarray) -> np.ndarray:
        """Boolean mask of a polygon's inside."""
        mask = np.zeros(self.img.shape[:2], np.uint8)
        cv2.fillPoly(mask, self.canvas.fixed(pts), 1, cv2.LINE_8, shift=SHIFT)
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


def face_outline(ident: Identity) -> np.ndarray:
    """Face contour: an ellipse narrowed towards the chin."""
    ax, ay = ident.face_axes
    t = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    narrow = 1 - ident.jaw * np.clip(np.sin(t), 0, None)**2
    return np.stack(
        [56 + ax * np.cos(t) * narrow, ident.face_cy + ay * np.sin(t)], 1)


def draw_background(cv: FaceCanvas, ident: Identity) -> None:
    """Plain wall with soft blotches."""
    size = cv.img.shape[0]
    noise = cv2.resize(ident.bg_noise, (size, size),
                       interpolation=cv2.INTER_CUBIC)
    img = ident.background[None, None] + 10 * noise[..., None]
    cv.img[:] = np.clip(img, 0, 255).astype(np.uint8)


def draw_body(cv: FaceCanvas, ident: Identity) -> None:
    """Neck and shoulders."""
    ax, ay = ident.face_axes
    chin = ident.face_cy + ay
    cv.fill(np.array([(44, chin - 18), (68, chin - 18), (70, 130), (42, 130)]),
            ident.skin * 0.82)
    cv.fill(ellipse(56, chin + 24, 62, 22), ident.shirt)
    cv.line(ellipse(56, chin + 8, 14, 10, 0.15 * math.pi, 0.85 * math.pi),
            ident.shirt * 0.7, 1.6)


def draw_hair_back(cv: FaceCanvas, ident: Identity) -> None:
    """Hair falling behind the face (long styles)."""
    if ident.hair_style != 'long':
        return
    ax, ay = ident.face_axes
    top = ellipse(56, ident.face_cy - 4, ax + 8, ay + 6, math.pi, 2 * math.pi)
    body = np.array([(56 + ax + 9, ident.face_cy + 40),
                     (56 - ax - 9, ident.face_cy + 40)])
    cv.fill(np.concatenate([top, body]), ident.hair * 0.85)


def draw_head(cv: FaceCanvas, ident: Identity) -> None:
    """Ears and the face with a soft rim shading."""
    ax, _ = ident.face_axes
    for side in (-1, 1):
        ex = 56 + side * (ax - 0.5)
        cv.fill(ellipse(ex, ident.eye_y + 6, 5.0, 8.5), ident.skin * 0.9)
        t0 = -0.4 * math.pi if side > 0 else 0.6 * math.pi
        cv.line(
            ellipse(ex, ident.eye_y + 6, 3.2, 6.0, t0, t0 + 0.8 * math.pi, 12),
            ident.skin * 0.72, 0.6)  # helix
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


def draw_eyes(cv: FaceCanvas, ident: Identity, up: UpperFace) -> None:
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

        def iris(c: FaceCanvas, ex=ex, ey=ey):
            c.fill(ellipse(ex, ey + 0.3, 3.1, 3.1), ident.iris)
            c.fill(ellipse(ex, ey + 0.3, 1.4, 1.4), np.zeros(3))
            c.fill(ellipse(ex + 0.9, ey - 0.8, 0.6, 0.6), np.full(3, 250.0))

        cv.clipped(eye, iris,
                   np.array([(ex - 3.2, ey - 3), (ex + 3.2, ey + 3.5)]))
        cv.line(upper, np.full(3, 25.0), 1.1)
        cv.line(lower, ident.skin * 0.55, 0.45)
        crease = upper + [0, -2.0 - 0.6 * up.eye_open]
        cv.line(crease[3:-3], ident.skin * 0.78, 0.5)
        if up.cheek > 0.25:  # raised cheeks push up a fold under the eye
            fold = lower[2:-2] + [0, 2.2]
            cv.line(fold, ident.skin * (1 - 0.2 * min(up.cheek, 1)), 0.6)


def draw_brows(cv: FaceCanvas, ident: Identity, up: UpperFace) -> None:
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
        cv.line(bezier(pts[0], pts[1], pts[1], pts[2]), brow, ident.brow_width)
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
            cv.line(bezier((44, y + 1), (50, y - 1), (62, y - 1), (68, y + 1)),
                    tone, 0.5)


def draw_nose(cv: FaceCanvas, ident: Identity, up: UpperFace) -> np.ndarray:
    """Nose with nostrils; disgust wrinkles its bridge. Returns the tip."""
    tip = np.array([56.0, ident.nose_y])
    shade = ident.skin * 0.7
    side_lit = 1 if math.cos(ident.light_angle) < 0 else -1
    cv.line(
        bezier((56 + side_lit * 2.6, ident.eye_y + 2),
               (56 + side_lit * 3.2, ident.eye_y + 8),
               (56 + side_lit * 3.6, ident.nose_y - 8),
               (56 + side_lit * 4.2, ident.nose_y - 4)), ident.skin * 0.9, 0.9)
    for side in (-1, 1):
        cv.line(
            ellipse(56 + side * 4.6, ident.nose_y - 0.3, 2.2, 2.6,
                    0.5 * math.pi - side * 0.9, 0.5 * math.pi + side * 1.6,
                    12), shade, 0.6)
        cv.fill(ellipse(56 + side * 2.4, ident.nose_y + 1.2, 1.3, 0.7),
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
        return bezier(left, (56 - hw / 3, cy + offsets[0]),
                      (56 + hw / 3, cy + offsets[1]), right)

    upper, lower = inner(mouth.upper), inner(mouth.lower)
    lower[:, 1] = np.maximum(lower[:, 1], upper[:, 1])
    return np.stack([left, right]), upper, lower


def draw_mouth(cv: FaceCanvas, ident: Identity, mouth: Mouth) -> np.ndarray:
    """Lips, opening and teeth. Returns the two mouth corners."""
    cy = ident.mouth_y
    if mouth.round_open > 0:
        hw = mouth.half_width * ident.mouth_scale
        hh = mouth.round_open / 2
        cv.fill(ellipse(56, cy + 1.5, hw + 2.2, hh + 2.6), ident.lips)
        cv.fill(ellipse(56, cy + 1.5, hw, hh), np.array([40, 30, 70.0]))
        cv.fill(ellipse(56, cy + 1.5 + hh * 0.55, hw * 0.6, hh * 0.35),
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
            cv.fill(np.concatenate([upper, teeth_low[::-1]]),
                    np.array([225, 235, 240.0]))
    cv.fill(np.concatenate([upper_out, upper[::-1]]), ident.lips * 0.92)
    cv.fill(np.concatenate([lower, lower_out[::-1]]), ident.lips)
    cv.line(upper, ident.lips * 0.55, 0.6)
    return corners


def draw_hair_top(cv: FaceCanvas, ident: Identity) -> None:
    """Hair over the top of the head, with a fringe for some styles."""
    if ident.hair_style == 'bald':
        return
    ax, ay = ident.face_axes
    cap = ellipse(56, ident.face_cy - 3, ax + 3.5, ay + 5, math.pi,
                  2 * math.pi, 36)
    brow_top = ident.eye_y - ident.brow_gap
    if ident.hair_style == 'fringe':
        xs = np.linspace(56 + ax, 56 - ax, 13)
        ys = brow_top - 6 + 1.8 * (np.arange(13) % 2)
        ys[[0, -1]] = ident.eye_y - 3
        line = np.stack([xs, ys], 1)
    else:
        line = bezier(
            (56 + ax + 0.5, ident.eye_y - 4), (56 + ax * 0.6, brow_top - 22),
            (56 - ax * 0.6, brow_top - 22), (56 - ax - 0.5, ident.eye_y - 4))
    cv.fill(np.concatenate([cap, line]), ident.hair)
    for i in range(5):  # a few strands for texture
        x = 56 - ax * 0.6 + i * ax * 0.3
        cv.line(
            bezier((x, ident.face_cy - ay - 2), (x - 4, brow_top - 20),
                   (x - 2, brow_top - 14), (x - 3, brow_top - 10)),
            ident.hair * 1.25 + 10, 0.5)


def draw_glasses(cv: FaceCanvas, ident: Identity) -> None:
    """Rounded-rectangle frames for subjects who wear glasses."""
    if ident.glasses is None:
        return
    t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    shape = np.stack([
        np.sign(np.cos(t)) * np.abs(np.cos(t))**0.6,
        np.sign(np.sin(t)) * np.abs(np.sin(t))**0.6
    ], 1)
    for (ex, ey) in eye_centres(ident):
        cv.line(shape * [8.5, 6.2] + [ex, ey + 0.8],
                ident.glasses,
                1.0,
                closed=True)
    left, right = eye_centres(ident)
    cv.line(np.array([left + [8.5, 0], (56, left[1] - 1.0), right - [8.5, 0]]),
            ident.glasses, 1.0)
    ax = ident.face_axes[0]
    for side, (ex, ey) in zip((-1, 1), eye_centres(ident)):
        cv.line(np.array([(ex + side * 8.5, ey - 1), (56 + side * ax, ey)]),
                ident.glasses, 1.0)
