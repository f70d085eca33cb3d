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
