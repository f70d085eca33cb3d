"""The 5-point face template shared by drawing, masking and alignment.

Points are, in order: left eye, right eye, nose tip, left mouth corner,
right mouth corner, in pixel ``(x, y)``.
"""
import numpy as np

#: ArcFace's 5-point template of a 112x112 aligned face crop.
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64)


def template_landmarks(width: int, height: int) -> np.ndarray:
    """Return the ArcFace 5-point template scaled to a ``width x height`` crop.

    Args:
        width (int): Image width in pixels.
        height (int): Image height in pixels.

    Returns:
        np.ndarray: Landmarks, shape ``(5, 2)``, pixel ``(x, y)``.
    """
    return ARCFACE_TEMPLATE_112 * np.array([width / 112.0, height / 112.0])


def check_landmarks(landmarks) -> np.ndarray:
    """Validate 5-point landmarks and return them as a float array.

    Args:
        landmarks (array-like): Landmarks expected with shape ``(5, 2)``.

    Returns:
        np.ndarray: ``float64`` array of shape ``(5, 2)``.

    Raises:
        ValueError: If the shape is not ``(5, 2)`` or a value is not finite.
    """
    lms = np.asarray(landmarks, dtype=np.float64)
    if lms.shape != (5, 2):
        raise ValueError('landmarks must have shape (5, 2) (left eye, right '
                         'eye, nose tip, left and right mouth corners, pixel '
                         f'x/y), got shape {lms.shape}.')
    if not np.all(np.isfinite(lms)):
        raise ValueError(f'landmarks must be finite, got {lms.tolist()}.')
    return lms


def landmarks_68_to_5(points: np.ndarray) -> np.ndarray:
    """The 5 points of 68-point (iBUG 300-W) landmarks: the centres of the
    image-left eye (points 36-41) and image-right eye (42-47), the nose tip
    (30) and the mouth corners (48, 54)."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape != (68, 2):
        raise ValueError(f'expected 68 landmarks of shape (68, 2), got shape '
                         f'{pts.shape}')
    return np.stack([pts[36:42].mean(0), pts[42:48].mean(0), pts[30],
                     pts[48], pts[54]])
