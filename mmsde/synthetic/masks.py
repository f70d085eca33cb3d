"""Synthetic face masks drawn over the lower face of a face crop.

Masked-FER work commonly trains and tests on synthetic masks; MSD-E
(https://arxiv.org/abs/2304.03867) is a real-world counterpart. This module
draws surgical, cloth and N95 masks whose outline follows 5-point face
landmarks. :class:`~mmsde.datasets.transforms.SyntheticFaceMask` and the
dataset writers use it.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from mmsde.utils.landmarks import check_landmarks, template_landmarks

from .canvas import Canvas

#: The styles of the bundled benchmark (its pixels depend on this tuple).
MASK_STYLES = ('surgical', 'cloth', 'n95')
#: More styles for masking public sets: a folded KN95 and surgical masks in
#: the colours people wear (black, navy, pink, grey...).
MORE_MASK_STYLES = ('kn95', 'surgical-colour')
ALL_MASK_STYLES = MASK_STYLES + MORE_MASK_STYLES
#: The lower face as a cylinder, in eye distances: its radius and how far
#: the nose tip stands out of it (:func:`estimate_yaw`).
FACE_RADIUS = 1.15
NOSE_DEPTH = 0.35

# Base colours, BGR.
_SURGICAL_COLORS = ((232, 206, 168), (238, 238, 235), (196, 216, 170))
_N95_COLORS = ((236, 236, 233), (204, 204, 200), (212, 228, 236))
_STRAP_COLORS = ((240, 240, 240), (190, 140, 60), (80, 200, 230))
_WORN_COLORS = ((30, 30, 32), (90, 45, 20), (190, 160, 240), (150, 150, 150),
                (245, 245, 245), (225, 190, 130), (60, 60, 140),
                (120, 170, 120))  # black, navy, pink, grey, white...


def check_mask_styles(styles: Sequence[str], name: str = 'styles'
                      ) -> Tuple[str, ...]:
    """Return ``styles`` as a tuple, refusing an empty or unknown choice.

    Args:
        styles (Sequence[str] | str): Mask styles, or one style.
        name (str): The argument's name, for the message.

    Returns:
        tuple[str]: The styles.
    """
    styles = (styles, ) if isinstance(styles, str) else tuple(styles)
    unknown = [s for s in styles if s not in ALL_MASK_STYLES]
    if unknown or not styles:
        raise ValueError(f'{name} must be a non-empty subset of '
                         f'{ALL_MASK_STYLES}, got {styles}.')
    return styles


def draw_face_mask(img: np.ndarray,
                   landmarks: Optional[np.ndarray] = None,
                   style: str = 'surgical',
                   color: Optional[Sequence[float]] = None,
                   rng: Optional[np.random.Generator] = None,
                   follow_yaw: bool = False) -> np.ndarray:
    """Draw a face mask over the nose, mouth and chin of a face crop.

    The mask outline is built in a face frame spanned by the eye line and the
    eye-to-mouth direction, so it follows the landmarks: its top edge runs
    just below the eyes across the nose bridge, it covers the nose tip, the
    mouth and the chin, and its width follows the eye distance. A small
    random pose jitter (rotation of a few degrees, shift, scale) makes masks
    vary from image to image. The mask turns with the eye line (roll); with
    ``follow_yaw`` it also turns with the head (:func:`estimate_yaw`): it is
    drawn on a cylinder round the lower face, so the far side foreshortens
    and the near side widens.

    Args:
        img (np.ndarray): Face crop, ``H x W x 3`` uint8 (BGR as loaded by
            mmcv). It is not modified.
        landmarks (np.ndarray, optional): 5-point landmarks, shape ``(5, 2)``
            in pixel ``(x, y)``: left eye, right eye, nose tip, left mouth
            corner, right mouth corner. Defaults to the ArcFace template
            scaled to the image size, which fits aligned crops.
        style (str): One of :data:`ALL_MASK_STYLES`. Defaults to
            ``'surgical'``.
        color (Sequence[float], optional): Base BGR colour of the mask.
            Defaults to a random colour typical of the style.
        rng (np.random.Generator, optional): Source of randomness. Defaults
            to a generator seeded from numpy's global generator, so
            ``np.random.seed`` makes the result reproducible.
        follow_yaw (bool): Turn the mask with the head. Off by default, so
            the bundled benchmark's pixels stay as they were.

    Returns:
        np.ndarray: A new ``H x W x 3`` uint8 image with the mask drawn.
    """
    _check_image(img)
    if style not in ALL_MASK_STYLES:
        raise ValueError(
            f'Unknown mask style {style!r}; allowed: {ALL_MASK_STYLES}.')
    if rng is None:
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
    h, w = img.shape[:2]
    lms = template_landmarks(w, h) if landmarks is None else \
        check_landmarks(landmarks)
    ss = max(1, math.ceil(256 / max(h, w)))  # supersampling for anti-aliasing
    frame = _MaskFrame(lms, rng, estimate_yaw(lms) if follow_yaw else 0.0)
    base = _pick_color(style, color, rng)
    painter = _Painter((h * ss, w * ss), frame, ss)
    paint = {'surgical': _paint_surgical, 'surgical-colour': _paint_surgical,
             'cloth': _paint_cloth, 'n95': _paint_n95, 'kn95': _paint_kn95}
    paint[style](painter, base, rng)
    return painter.composite(img, rng)


def estimate_yaw(landmarks: np.ndarray) -> float:
    """Head yaw in radians from 5-point landmarks (positive: turned towards
    the image's right), from how far the nose tip sits off the eye
    midpoint along the eye line: on a cylinder face the offset is
    ``(FACE_RADIUS + NOSE_DEPTH - FACE_RADIUS * cos(eye angle)) * tan(yaw)``
    eye distances."""
    lms = check_landmarks(landmarks)
    eye_vec = lms[1] - lms[0]
    dist = float(np.hypot(*eye_vec))
    if dist < 1e-6:
        raise ValueError(f'landmarks put both eyes at the same point '
                         f'{lms[0].tolist()}; cannot estimate the pose.')
    offset = float(np.dot(lms[2] - (lms[0] + lms[1]) / 2, eye_vec)) / dist**2
    return math.atan(offset / _nose_lever())


def estimate_roll(landmarks: np.ndarray) -> float:
    """Head roll in radians: the eye line's angle to the image's x axis."""
    lms = check_landmarks(landmarks)
    return math.atan2(lms[1, 1] - lms[0, 1], lms[1, 0] - lms[0, 0])


def _nose_lever() -> float:
    """Nose-tip offset per unit ``tan(yaw)``, in eye distances."""
    eye_angle = math.asin(0.5 / FACE_RADIUS)
    return FACE_RADIUS + NOSE_DEPTH - FACE_RADIUS * math.cos(eye_angle)


def _check_image(img: np.ndarray) -> None:
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
        shape = getattr(img, 'shape', type(img).__name__)
        raise ValueError(
            f'Expected an H x W x 3 image array, got shape {shape}.')


def _pick_color(style: str, color: Optional[Sequence[float]],
                rng: np.random.Generator) -> np.ndarray:
    """Return the base BGR colour of a mask as a float array."""
    if color is not None:
        base = np.asarray(color, dtype=np.float64)
        if base.shape != (3, ):
            raise ValueError(
                f'color must be a BGR triple, got {tuple(color)!r}.')
        return base
    if style == 'surgical-colour':
        base = np.asarray(_WORN_COLORS[rng.integers(len(_WORN_COLORS))],
                          dtype=np.float64)
        return np.clip(base + rng.uniform(-8, 8, 3), 0, 255)
    if style == 'cloth':
        hsv = np.uint8([[[
            rng.integers(0, 180),
            rng.integers(40, 230),
            rng.integers(50, 235)
        ]]])
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)
    palette = _SURGICAL_COLORS if style == 'surgical' else _N95_COLORS
    base = np.asarray(palette[rng.integers(len(palette))], dtype=np.float64)
    return np.clip(base + rng.uniform(-8, 8, 3), 0, 255)


class _MaskFrame:
    """Face frame of a mask: ``P(a, b) = origin + a * U + b * V``.

    ``origin`` is the mid-point of the eyes, ``U`` the eye vector scaled to
    the eye distance, ``V`` its normal scaled to the eye-to-mouth distance,
    so ``b = 1`` is the mouth line. A random rotation, scale and shift model
    how a mask sits differently on each face. A ``yaw`` (radians) wraps
    ``a`` round a cylinder of :data:`FACE_RADIUS` turned by it: ``a`` is
    then in the face's own eye distances and the image shows it
    foreshortened.
    """

    def __init__(self, lms: np.ndarray, rng: np.random.Generator,
                 yaw: float = 0.0):
        eye_mid = (lms[0] + lms[1]) / 2
        eye_vec = lms[1] - lms[0]
        dist = float(np.hypot(*eye_vec))
        if dist < 1e-6:
            raise ValueError(f'landmarks put both eyes at the same point '
                             f'{lms[0].tolist()}; cannot place a mask.')
        u = eye_vec / dist
        n = np.array([-u[1], u[0]])  # points from the eyes towards the mouth
        height = float(np.dot((lms[3] + lms[4]) / 2 - eye_mid, n))
        if height < 0.3 * dist:  # implausible mouth position: use face ratio
            height = 1.15 * dist
        self.nose_b = float(np.dot(lms[2] - eye_mid, n)) / height
        angle = math.radians(rng.uniform(-4.0, 4.0))
        rot = np.array([[math.cos(angle), -math.sin(angle)],
                        [math.sin(angle), math.cos(angle)]])
        scale = rng.uniform(0.96, 1.04)
        self.U = scale * dist * (rot @ u)
        self.V = scale * height * (rot @ n)
        shift = rng.uniform(-0.03, 0.03, 2)
        self.origin = eye_mid + shift[0] * dist * u + shift[1] * height * n
        self.yaw = yaw
        # the eye midpoint's place on the turned cylinder
        self._eye_mid = FACE_RADIUS * math.cos(math.asin(
            0.5 / FACE_RADIUS)) * math.sin(yaw)

    @property
    def top(self) -> float:
        """Height ``b`` of the top edge at the nose bridge."""
        return min(0.3, self.nose_b - 0.15)

    def to_image(self, ab: np.ndarray) -> np.ndarray:
        """Map frame points ``(N, 2)`` of ``(a, b)`` to image pixels."""
        ab = np.asarray(ab, dtype=np.float64).reshape(-1, 2)
        if self.yaw:
            ab = np.stack([self._turned(ab[:, 0]), ab[:, 1]], axis=1)
        return self.origin + ab[:, :1] * self.U + ab[:, 1:] * self.V

    def _turned(self, a: np.ndarray) -> np.ndarray:
        """Where the cylinder's ``a`` shows, in seen eye distances; a point
        turned out of sight stays on the silhouette."""
        angle = np.arcsin(np.clip(a / FACE_RADIUS, -1, 1)) + self.yaw
        seen = FACE_RADIUS * np.sin(np.clip(angle, -np.pi / 2, np.pi / 2))
        return (seen - self._eye_mid) / math.cos(self.yaw)

    def from_image(self, xy: np.ndarray) -> np.ndarray:
        """Map image pixels ``(..., 2)`` back to frame ``(a, b)``."""
        basis = np.stack([self.U, self.V], axis=1)
        ab = (xy - self.origin) @ np.linalg.inv(basis).T
        if self.yaw:
            seen = ab[..., 0] * math.cos(self.yaw) + self._eye_mid
            angle = np.arcsin(np.clip(seen / FACE_RADIUS, -1, 1)) - self.yaw
            ab[..., 0] = FACE_RADIUS * np.sin(angle)
        return ab


class _Painter:
    """Paints a mask's colour and opacity at ``ss`` times the image size.

    Three layers: ``color``, ``alpha`` (opacity) and ``body`` (the mask
    without its loops, which casts the shadow).
    """

    def __init__(self, shape: Tuple[int, int], frame: _MaskFrame, ss: int):
        self.frame = frame
        self.canvas = Canvas(lambda ab: (frame.to_image(ab) + 0.5) * ss - 0.5,
                             float(np.hypot(*frame.U)) * ss)
        self.color = np.zeros(shape + (3, ), np.uint8)
        self.alpha = np.zeros(shape, np.uint8)
        self.body = np.zeros(shape, np.uint8)
        self.shading: Optional[Tuple[float, bool]] = None

    def fill_body(self, ab: np.ndarray) -> None:
        """Set the mask outline; its inside gets full opacity."""
        self.canvas.fill(self.body, ab, 255)
        np.maximum(self.alpha, self.body, out=self.alpha)

    def shade(self,
              base: np.ndarray,
              bottom: float,
              dome: bool = False) -> None:
        """Fill the colour with ``base``; :meth:`composite` shades it.

        Args:
            base (np.ndarray): BGR colour.
            bottom (float): Frame height ``b`` of the mask's bottom edge.
            dome (bool): Add a radial fall-off (cup-shaped masks).
        """
        self.color[:] = np.clip(np.round(base), 0, 255).astype(np.uint8)
        self.shading = (bottom, dome)

    def gain(self, h: int, w: int) -> np.ndarray:
        """Soft shading at image resolution: darker towards the chin and
        the sides, and a bulge for cup-shaped masks."""
        if self.shading is None:
            return np.ones((h, w), np.float64)
        bottom, dome = self.shading
        ys, xs = np.mgrid[0:h, 0:w]
        ab = self.frame.from_image(np.stack([xs, ys], axis=-1))
        top = self.frame.top
        t = np.clip((ab[..., 1] - top) / (bottom - top), 0, 1)
        gain = 1.06 - 0.22 * t - 0.22 * np.clip(ab[..., 0], -1, 1)**2
        if dome:
            mid = (top + bottom) / 2
            r2 = ab[..., 0]**2 / 0.8 + ((ab[..., 1] - mid) / (bottom - mid))**2
            gain = gain + 0.10 - 0.16 * np.clip(r2, 0, 1.5)
        return gain

    def line(self,
             ab: np.ndarray,
             color: np.ndarray,
             width: float,
             closed: bool = False,
             opaque: bool = False) -> None:
        """Draw a polyline; ``opaque`` also makes it visible off the mask."""
        self.canvas.line(self.color, ab, color, width, closed)
        if opaque:
            self.canvas.line(self.alpha, ab, 255, width, closed)

    def composite(self, img: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
        """Blend the mask onto a copy of ``img`` with a soft drop shadow."""
        h, w = img.shape[:2]
        interp = cv2.INTER_AREA
        alpha = cv2.resize(self.alpha, (w, h), interpolation=interp) / 255.0
        color = cv2.resize(self.color, (w, h), interpolation=interp)
        color = color * self.gain(h, w)[..., None]
        body = cv2.resize(self.body, (w, h), interpolation=interp) / 255.0
        color = color + rng.normal(0, 2.5, color.shape)  # weave
        # Soft shadow cast by the mask on the skin just below its edges.
        blur = max(1.0, 0.04 * float(np.hypot(*self.frame.U)))
        shift = np.float32([[1, 0, 0], [0, 1, blur]])
        shadow = cv2.warpAffine(body, shift, (w, h))
        shadow = cv2.GaussianBlur(shadow, (0, 0), blur)
        out = img * (1 - 0.35 * shadow)[..., None]
        out = out * (1 - alpha[..., None]) + color * alpha[..., None]
        return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _smooth(pts: Sequence[Tuple[float, float]], iters: int = 3) -> np.ndarray:
    """Chaikin corner cutting of a closed polygon."""
    pts = np.asarray(pts, dtype=np.float64)
    for _ in range(iters):
        nxt = np.roll(pts, -1, axis=0)
        pts = np.stack([0.75 * pts + 0.25 * nxt, 0.25 * pts + 0.75 * nxt],
                       axis=1).reshape(-1, 2)
    return pts


def _curve(a0: float,
           a1: float,
           b: float,
           sag: float,
           n: int = 24) -> np.ndarray:
    """A horizontal frame curve from ``a0`` to ``a1`` sagging at the centre."""
    a = np.linspace(a0, a1, n)
    return np.stack([a, b + sag * (1 - a**2)], axis=1)


def _ear_loops(p: _Painter,
               color: np.ndarray,
               top: Tuple[float, float],
               bottom: Tuple[float, float],
               width: float = 0.025) -> None:
    """Draw elastic loops from the mask's corners to both ears."""
    for side in (-1, 1):
        ear = (side * 1.1, 0.2)
        for a, b in (top, bottom):
            mid = (side * (abs(a) + 1.1) / 2, (b + ear[1]) / 2 - 0.05)
            pts = np.array([(side * abs(a), b), mid, ear])
            p.line(pts, color, width, opaque=True)


def _paint_surgical(p: _Painter, base: np.ndarray,
                    rng: np.random.Generator) -> None:
    """Pleated rectangular mask with a nose wire and ear loops."""
    top = p.frame.top
    bottom = 1.45
    outline = _smooth([(-0.93, 0.44), (-0.5, top + 0.06), (0, top),
                       (0.5, top + 0.06), (0.93, 0.44), (0.98, 0.78),
                       (0.94, 1.12), (0.55, 1.36), (0, bottom), (-0.55, 1.36),
                       (-0.94, 1.12), (-0.98, 0.78)], 2)
    p.fill_body(outline)
    p.shade(base, bottom)
    dark, light = base * 0.78, np.minimum(base * 1.08 + 6, 255)
    for b in (0.64, 0.88, 1.12):
        p.line(_curve(-0.97, 0.97, b - 0.02, 0.03), light, 0.03)
        p.line(_curve(-0.97, 0.97, b, 0.03), dark, 0.025)
    p.line(_curve(-0.3, 0.3, top + 0.05, -0.03), base * 0.9, 0.035)  # wire
    p.line(outline, base * 0.85, 0.03, closed=True)  # hem
    _ear_loops(p, np.minimum(base * 1.05, 255), (-0.92, 0.48), (-0.93, 1.08))


def _paint_cloth(p: _Painter, base: np.ndarray,
                 rng: np.random.Generator) -> None:
    """Contoured fabric mask with a centre seam and an optional pattern."""
    top = p.frame.top - 0.02
    bottom = 1.5
    outline = _smooth([(-0.96, 0.5), (-0.55, top + 0.1), (0, top),
                       (0.55, top + 0.1), (0.96, 0.5), (1.0, 0.9), (0.72, 1.3),
                       (0, bottom), (-0.72, 1.3), (-1.0, 0.9)])
    p.fill_body(outline)
    p.shade(base, bottom)
    second = np.where(base.mean() > 128, base * 0.45, base * 0.5 + 120)
    pattern = ('plain', 'stripes', 'dots', 'speckle')[rng.integers(4)]
    if pattern == 'stripes':
        slope = rng.choice([0.0, 0.6, -0.6])
        for b in np.arange(top - 0.6, bottom + 0.6, 0.14):
            a = np.array([-1.1, 1.1])
            p.line(np.stack([a, b + slope * a], 1), second, 0.035)
    elif pattern == 'dots':
        t = np.linspace(0, 2 * math.pi, 10, endpoint=False)
        dot = 0.03 * np.stack([np.cos(t), np.sin(t)], 1)
        for row, b in enumerate(np.arange(top + 0.06, bottom, 0.16)):
            for a in np.arange(-1.0, 1.01, 0.2) + 0.1 * (row % 2):
                p.line(dot + [a, b], second, 0.02, closed=True)
    elif pattern == 'speckle':
        h, w = p.alpha.shape
        noise = rng.normal(0, 1, (max(2, h // 6), max(2, w // 6)))
        noise = cv2.resize(noise, (w, h))
        color = p.color * (1 + 0.08 * noise)[..., None]
        p.color[:] = np.clip(np.round(color), 0, 255).astype(np.uint8)
    seam = np.stack([
        0.02 * np.sin(np.linspace(0, math.pi, 16)),
        np.linspace(top, bottom, 16)
    ], 1)
    p.line(seam, base * 0.7, 0.025)
    p.line(outline, base * 0.75, 0.035, closed=True)
    _ear_loops(p, base * 0.9, (-0.95, 0.55), (-0.98, 1.0), 0.035)


def _paint_n95(p: _Painter, base: np.ndarray,
               rng: np.random.Generator) -> None:
    """Cup-shaped respirator with a centre ridge, straps and maybe a valve."""
    top = p.frame.top
    bottom = 1.46
    mid, half_w = (top + bottom) / 2, 0.84
    t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
    outline = np.stack([half_w * np.cos(t), mid + (bottom - mid) * np.sin(t)],
                       1)
    outline[:, 1] = np.where(
        outline[:, 1] < mid,  # flatter, pointed top
        mid - (mid - outline[:, 1]) * (0.9 + 0.1 * np.abs(np.cos(t))),
        outline[:, 1])
    p.fill_body(outline)
    p.shade(base, bottom, dome=True)
    ridge = np.stack([
        0.02 * np.sin(np.linspace(0, math.pi, 16)),
        np.linspace(top + 0.02, bottom - 0.02, 16)
    ], 1)
    p.line(ridge, base * 0.72, 0.03)
    p.line(ridge + [0.03, 0], np.minimum(base * 1.1, 255), 0.015)
    inset = (outline - [0, mid]) * 0.93 + [0, mid]
    p.line(inset, base * 0.86, 0.02, closed=True)  # edge seam
    p.line(_curve(-0.28, 0.28, top + 0.07, -0.04), base * 0.8, 0.035)
    if rng.random() < 0.5:
        centre = np.array([0.4, mid + 0.12])
        for r, shade in ((0.15, 0.78), (0.1, 0.9), (0.05, 0.7)):
            ring = centre + r * np.stack([np.cos(t), np.sin(t) * 0.9], 1)
            p.line(ring, base * shade, 0.03, closed=True)
    strap = np.asarray(
        _STRAP_COLORS[rng.integers(len(_STRAP_COLORS))], dtype=np.float64)
    for side in (-1, 1):
        for b0, b1, a1 in ((mid - 0.15, 0.35, 1.05), (mid + 0.3, 0.9, 0.94)):
            pts = np.array([(side * 0.82, b0), (side * a1, b1)])
            p.line(pts, strap, 0.03, opaque=True)


def _paint_kn95(p: _Painter, base: np.ndarray,
                rng: np.random.Generator) -> None:
    """Folded KN95: two panels meeting at a vertical fold that comes to a
    point at the nose and at the chin, a nose wire and ear loops."""
    top = p.frame.top - 0.04
    bottom = 1.55
    outline = np.array([(0, top), (0.45, top + 0.12), (0.92, 0.42),
                        (1.0, 0.8), (0.86, 1.16), (0.45, 1.42), (0, bottom),
                        (-0.45, 1.42), (-0.86, 1.16), (-1.0, 0.8),
                        (-0.92, 0.42), (-0.45, top + 0.12)])
    p.fill_body(outline)
    p.shade(base, bottom, dome=True)
    fold = np.stack([0.015 * np.sin(np.linspace(0, math.pi, 16)),
                     np.linspace(top, bottom, 16)], 1)
    p.line(fold, base * 0.7, 0.03)
    p.line(fold + [0.035, 0], np.minimum(base * 1.1, 255), 0.015)
    for side in (-1, 1):  # heat-sealed seams along each panel's edge
        seam = outline[[1, 2, 3, 4, 5]] * [side * 0.9, 1] + [0, 0.02]
        p.line(seam, base * 0.85, 0.015)
    p.line(_curve(-0.3, 0.3, top + 0.12, -0.06), base * 0.8, 0.035)  # wire
    p.line(outline, base * 0.8, 0.025, closed=True)
    _ear_loops(p, np.minimum(base * 1.03, 255), (-0.92, 0.46), (-0.88, 1.14))
