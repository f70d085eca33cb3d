"""The MSD-E authors' augmentations that MMPretrain lacks.

Both draw only from NumPy's global generator, so seeding works and
:class:`~mmsde.datasets.transforms.PairedTransform` gives the two images of a
pair the same parameters. (albumentations 2.x draws from per-transform
generators, which a wrapper cannot share, and mmcv 2.1's ``adjust_hue``
overflows on NumPy 2 for negative shifts.)
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpretrain.registry import TRANSFORMS

BORDERS = {
    'constant': cv2.BORDER_CONSTANT,
    'reflect_101': cv2.BORDER_REFLECT_101,
    'replicate': cv2.BORDER_REPLICATE,
    'reflect': cv2.BORDER_REFLECT,
}
INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
}


def _check_prob(name: str, prob: float) -> None:
    if not 0 <= prob <= 1:
        raise ValueError(f'{name}: prob must be in [0, 1], got {prob}')


def _check_choice(name: str, value: str, choices: dict) -> None:
    if value not in choices:
        raise ValueError(f'{name}: {value!r} is not one of {sorted(choices)}')


def affine_matrix(size: Tuple[int, int], angle: float, scale: float,
                  shift: Tuple[float, float]) -> np.ndarray:
    """The 2x3 matrix rotating by ``angle`` degrees and scaling about the
    image centre, then shifting by ``shift`` (fractions of width, height).

    Args:
        size: Image ``(height, width)``.
        angle: Counter-clockwise rotation in degrees.
        scale: Zoom factor.
        shift: ``(dx, dy)`` as fractions of the width and height.
    """
    height, width = size
    centre = ((width - 1) / 2, (height - 1) / 2)
    matrix = cv2.getRotationMatrix2D(centre, angle, scale)
    matrix[0, 2] += shift[0] * width
    matrix[1, 2] += shift[1] * height
    return matrix


@TRANSFORMS.register_module()
class ShiftScaleRotate(BaseTransform):
    """Random shift, zoom and rotation in one affine warp.

    Mirrors albumentations' ``ShiftScaleRotate`` (the authors use
    ``shift_limit=0.0625, scale_limit=0.1, rotate_limit=3, p=0.5``); with
    ``scale_range=(1.0, 1.25)`` and no shift or rotation it also serves
    their ``Affine(scale=(1.0, 1.25), p=0.5)``.

    Required keys: ``img`` (``HxW`` or ``HxWxC``, any dtype OpenCV warps).
    Modified keys: ``img`` (same shape and dtype).

    Args:
        shift_limit: Shifts are drawn from ``U(-limit, limit)`` of the size.
        scale_limit: Zoom is ``1 + U(-limit, limit)``.
        rotate_limit: Angles are drawn from ``U(-limit, limit)`` degrees.
        prob: Probability of applying the warp.
        scale_range: ``(low, high)`` zoom range, replacing ``scale_limit``.
        border_mode: One of :data:`BORDERS`.
        interpolation: One of :data:`INTERPOLATIONS`.
    """

    def __init__(self,
                 shift_limit: float = 0.0625,
                 scale_limit: float = 0.1,
                 rotate_limit: float = 3.0,
                 prob: float = 0.5,
                 scale_range: Optional[Sequence[float]] = None,
                 border_mode: str = 'reflect_101',
                 interpolation: str = 'bilinear') -> None:
        name = type(self).__name__
        for key, value in (('shift_limit', shift_limit),
                           ('scale_limit', scale_limit),
                           ('rotate_limit', rotate_limit)):
            if value < 0:
                raise ValueError(f'{name}: {key} must be >= 0, got {value}')
        if scale_range is None:
            scale_range = (1 - scale_limit, 1 + scale_limit)
        if len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError(f'{name}: scale_range must be (low, high) with '
                             f'0 < low <= high, got {scale_range}')
        _check_prob(name, prob)
        _check_choice(f'{name}: border_mode', border_mode, BORDERS)
        _check_choice(f'{name}: interpolation', interpolation, INTERPOLATIONS)
        self.shift_limit, self.rotate_limit = shift_limit, rotate_limit
        self.scale_range = tuple(scale_range)
        self.prob, self.border_mode = prob, border_mode
        self.interpolation = interpolation

    @cache_randomness
    def _draw(self) -> Optional[Tuple[float, float, Tuple[float, float]]]:
        """``(angle, scale, (dx, dy))``, or None when not applied."""
        if np.random.rand() >= self.prob:
            return None
        angle = np.random.uniform(-self.rotate_limit, self.rotate_limit)
        scale = np.random.uniform(*self.scale_range)
        shift = tuple(
            np.random.uniform(-self.shift_limit, self.shift_limit, size=2))
        return angle, scale, shift

    def transform(self, results: dict) -> dict:
        params = self._draw()
        if params is None:
            return results
        img = results['img']
        matrix = affine_matrix(img.shape[:2], *params)
        warped = cv2.warpAffine(
            img,
            matrix, (img.shape[1], img.shape[0]),
            flags=INTERPOLATIONS[self.interpolation],
            borderMode=BORDERS[self.border_mode])
        # OpenCV drops a trailing channel axis of length 1 (HxWx1 -> HxW)
        results['img'] = warped.reshape(img.shape)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(shift_limit={self.shift_limit}, '
                f'scale_range={self.scale_range}, '
                f'rotate_limit={self.rotate_limit}, prob={self.prob}, '
                f'border_mode={self.border_mode!r}, '
                f'interpolation={self.interpolation!r})')


def shift_hsv(img: np.ndarray, hue: float, sat: float,
              val: float) -> np.ndarray:
    """Shift hue, saturation and value of a BGR uint8 image.

    Hue is in OpenCV's units (0..179) and wraps around; saturation and value
    (0..255) are clipped. Fractional shifts are rounded (albumentations
    truncates the shifted hue instead, a difference of at most one unit).

    Args:
        img: ``HxWx3`` BGR uint8 image.
        hue: Hue shift, in OpenCV units.
        sat: Saturation shift.
        val: Value shift.

    Returns:
        The shifted image, a new array.
    """
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise TypeError('shift_hsv needs an HxWx3 uint8 BGR image, got '
                        f'{img.dtype} {img.shape}')
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + int(round(hue))) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] + int(round(sat)), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] + int(round(val)), 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)


@TRANSFORMS.register_module()
class HueSaturationValue(BaseTransform):
    """Random hue, saturation and value shifts.

    Mirrors albumentations' ``HueSaturationValue`` (defaults 20 / 30 / 20,
    ``p=0.5``) for BGR uint8 images.

    Required keys: ``img`` (``HxWx3`` BGR uint8). Modified keys: ``img``.

    Args:
        hue_shift: Hue shifts are drawn from ``U(-hue_shift, hue_shift)``
            (OpenCV units, 0..179).
        sat_shift: Saturation shift limit (0..255 units).
        val_shift: Value shift limit (0..255 units).
        prob: Probability of applying the shift.
    """

    def __init__(self,
                 hue_shift: float = 20,
                 sat_shift: float = 30,
                 val_shift: float = 20,
                 prob: float = 0.5) -> None:
        name = type(self).__name__
        for key, value in (('hue_shift', hue_shift), ('sat_shift', sat_shift),
                           ('val_shift', val_shift)):
            if value < 0:
                raise ValueError(f'{name}: {key} must be >= 0, got {value}')
        _check_prob(name, prob)
        self.limits = (hue_shift, sat_shift, val_shift)
        self.prob = prob

    @cache_randomness
    def _draw(self) -> Optional[Tuple[float, float, float]]:
        """``(hue, sat, val)`` shifts, or None when not applied."""
        if np.random.rand() >= self.prob:
            return None
        return tuple(np.random.uniform(-lim, lim) for lim in self.limits)

    def transform(self, results: dict) -> dict:
        shifts = self._draw()
        if shifts is not None:
            results['img'] = shift_hsv(results['img'], *shifts)
        return results

    def __repr__(self) -> str:
        hue, sat, val = self.limits
        return (f'{type(self).__name__}(hue_shift={hue}, sat_shift={sat}, '
                f'val_shift={val}, prob={self.prob})')
