"""One anti-aliased drawing surface for the synthetic world.

Faces and masks are both drawn on 8-bit layers at a multiple of the output
size (OpenCV anti-aliases only 8-bit drawing), with points given in a model
frame (the canonical face frame, or a mask's frame) and mapped to pixels with
4 fractional bits. :class:`Canvas` holds that mapping and the two drawing
primitives; callers own their layers.
"""
from typing import Callable, Sequence, Tuple

import cv2
import numpy as np

#: Fractional bits of the fixed-point points handed to OpenCV.
SHIFT = 4

PointMap = Callable[[np.ndarray], np.ndarray]


class Canvas:
    """Draws polygons and polylines given in a model frame.

    Args:
        to_px (callable): Maps model points ``(N, 2)`` to layer pixels.
        unit (float): Layer pixels per model unit, used for line widths.
    """

    def __init__(self, to_px: PointMap, unit: float):
        self.to_px = to_px
        self.unit = unit

    def fixed(self, pts: np.ndarray) -> list:
        """Model points as OpenCV's fixed-point ``int32`` polygon list."""
        px = self.to_px(np.asarray(pts, dtype=np.float64).reshape(-1, 2))
        return [np.round(px * (1 << SHIFT)).astype(np.int32)]

    def width(self, width: float) -> int:
        """A line width in model units as whole layer pixels (at least 1)."""
        return max(1, int(round(width * self.unit)))

    def fill(self, layer: np.ndarray, pts: np.ndarray, color) -> None:
        """Fill a polygon on ``layer``, anti-aliased."""
        cv2.fillPoly(layer, self.fixed(pts), scalar(color), cv2.LINE_AA,
                     shift=SHIFT)

    def line(self,
             layer: np.ndarray,
             pts: np.ndarray,
             color,
             width: float,
             closed: bool = False) -> None:
        """Draw a polyline ``width`` model units wide on ``layer``."""
        cv2.polylines(layer, self.fixed(pts), closed, scalar(color),
                      self.width(width), cv2.LINE_AA, shift=SHIFT)


def scalar(color) -> Tuple[float, ...]:
    """An OpenCV colour: a number, or a tuple clipped to ``[0, 255]``."""
    if np.isscalar(color):
        return color
    return tuple(min(max(float(c), 0.0), 255.0) for c in color)


def ellipse(cx: float,
            cy: float,
            ax: float,
            ay: float,
            t0: float = 0.0,
            t1: float = 2 * np.pi,
            n: int = 48) -> np.ndarray:
    """``n`` points of an axis-aligned elliptic arc from ``t0`` to ``t1``."""
    t = np.linspace(t0, t1, n)
    return np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t)], 1)


def bezier(p0: Sequence[float],
           p1: Sequence[float],
           p2: Sequence[float],
           p3: Sequence[float],
           n: int = 20) -> np.ndarray:
    """``n`` points of a cubic Bezier curve."""
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2, p3 = (
        np.asarray(p, dtype=np.float64) for p in (p0, p1, p2, p3))
    return ((1 - t)**3 * p0 + 3 * (1 - t)**2 * t * p1 + 3 *
            (1 - t) * t**2 * p2 + t**3 * p3)
