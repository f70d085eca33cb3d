"""One face crop, made the same way for training data and for inference.

A crop is either *aligned* (a similarity transform maps the detector's five
landmarks onto the ArcFace template that the synthetic faces are drawn on,
:mod:`mmsde.utils.landmarks`) or a *box* crop (a square around the detected
box). :class:`CropSettings` holds every choice, so it can be written next to
the crops and read back from a model's config (``face_crop = dict(...)``).
"""
from dataclasses import asdict, dataclass, fields
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .landmarks import check_landmarks, template_landmarks

NO_FACE_POLICIES = ('skip', 'keep', 'fail')
MULTI_FACE_POLICIES = ('largest', 'confident', 'all')
ALIGN_MODES = ('auto', 'landmarks', 'box')


@dataclass(frozen=True)
class Face:
    """A detected face in image pixels.

    Attributes:
        box: ``(x1, y1, x2, y2)``.
        score: Detector confidence.
        landmarks: ``(5, 2)`` left eye, right eye, nose tip, left and right
            mouth corners, or None when the detector gives none.
    """
    box: Tuple[float, float, float, float]
    score: float
    landmarks: Optional[np.ndarray] = None

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = self.box
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)


@dataclass(frozen=True)
class CropSettings:
    """How faces are cropped.

    Args:
        size: Side of the square output crop in pixels.
        margin: Extra context around the face, as a fraction of its size:
            the box side grows by ``1 + margin``; for aligned crops the
            template shrinks towards the centre by the same factor.
        align: ``'auto'`` aligns on landmarks when the detector gives them
            and crops the box otherwise; ``'landmarks'`` requires them;
            ``'box'`` never aligns.
        no_face: ``'skip'`` (no crop), ``'keep'`` (the whole image, squashed
            to the crop size) or ``'fail'`` (raise) when no face is found.
        multi_face: ``'largest'``, ``'confident'`` (highest score) or
            ``'all'`` (one crop per face) when several faces are found.
        score_thr: Faces below this detector score are ignored.
    """
    size: int = 112
    margin: float = 0.0
    align: str = 'auto'
    no_face: str = 'skip'
    multi_face: str = 'largest'
    score_thr: float = 0.5

    def __post_init__(self):
        checks = (('align', ALIGN_MODES), ('no_face', NO_FACE_POLICIES),
                  ('multi_face', MULTI_FACE_POLICIES))
        for key, allowed in checks:
            if getattr(self, key) not in allowed:
                raise ValueError(f'crop setting {key} must be one of '
                                 f'{allowed}, got {getattr(self, key)!r}')
        if not (isinstance(self.size, int) and self.size >= 8):
            raise ValueError('crop setting size must be an integer >= 8, '
                             f'got {self.size!r}')
        if not 0.0 <= self.margin <= 2.0:
            raise ValueError(
                f'crop setting margin must be in [0, 2], got {self.margin!r}')

    @classmethod
    def from_dict(cls, cfg: dict, where: str = 'face_crop') -> 'CropSettings':
        """Settings from a dict (a config's ``face_crop``); unknown keys are
        refused, naming ``where``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise KeyError(f'{where}: unknown crop setting(s) {unknown}; '
                           f'known: {sorted(known)}')
        return cls(**cfg)

    def to_dict(self) -> dict:
        return asdict(self)


class NoFaceError(RuntimeError):
    """No face was found and the policy is ``'fail'``."""


def select_faces(faces: Sequence[Face],
                 settings: CropSettings) -> Tuple[List[Face], str]:
    """Apply the score threshold and the several-faces policy.

    Returns:
        The faces to crop (empty when none passes) and the decision:
        ``'one_face'``, ``'no_face'`` or ``'several_faces:<policy>'``.
    """
    kept = [f for f in faces if f.score >= settings.score_thr]
    if not kept:
        return [], 'no_face'
    if len(kept) == 1:
        return kept, 'one_face'
    decision = f'several_faces:{settings.multi_face}'
    if settings.multi_face == 'largest':
        return [max(kept, key=lambda f: f.area)], decision
    if settings.multi_face == 'confident':
        return [max(kept, key=lambda f: f.score)], decision
    return sorted(kept, key=lambda f: (f.box[0], f.box[1])), decision


def box_transform(box: Sequence[float], size: int,
                  margin: float) -> np.ndarray:
    """The 2x3 affine matrix mapping the square around ``box`` (side
    ``max(w, h) * (1 + margin)``, same centre) onto a ``size`` crop."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1, 1.0) * (1.0 + margin)
    scale = size / side
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return np.array([[scale, 0.0, size / 2 - scale * cx],
                     [0.0, scale, size / 2 - scale * cy]])


def aligned_template(size: int, margin: float) -> np.ndarray:
    """The template landmarks of a ``size`` crop with ``margin``."""
    center = np.array([size / 2, size / 2])
    return center + (template_landmarks(size, size) - center) / (1 + margin)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) mapping
    ``src`` points onto ``dst`` (Umeyama's method), as a 2x3 matrix."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1  # no reflection
    rot = u @ np.diag(d) @ vt
    scale = (s * d).sum() / src_c.var(0).sum()
    shift = dst_mean - scale * rot @ src_mean
    return np.hstack([scale * rot, shift[:, None]])


def crop_transform(face: Face,
                   settings: CropSettings) -> Tuple[np.ndarray, str]:
    """The crop's 2x3 matrix (image to crop pixels) and its method,
    ``'aligned_5pt'`` or ``'box'``."""
    use_landmarks = settings.align != 'box' and face.landmarks is not None
    if settings.align == 'landmarks' and face.landmarks is None:
        raise ValueError("crop setting align='landmarks' needs a detector "
                         'that gives 5 landmarks; this one gives none (use '
                         "align='auto' or 'box')")
    if use_landmarks:
        src = check_landmarks(face.landmarks)
        dst = aligned_template(settings.size, settings.margin)
        return similarity_transform(src, dst), 'aligned_5pt'
    return box_transform(face.box, settings.size, settings.margin), 'box'


def apply_transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map ``(N, 2)`` points through a 2x3 affine matrix."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]


def warp_crop(img: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Resample ``img`` through ``matrix`` into a ``size x size`` crop; the
    outside of the photo is black, as in ArcFace-style aligned crops."""
    return cv2.warpAffine(
        img, matrix, (size, size), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def whole_image(img: np.ndarray, size: int) -> Tuple[np.ndarray, np.ndarray]:
    """The whole image resized to a ``size`` square (``no_face='keep'``),
    with its 2x3 matrix."""
    h, w = img.shape[:2]
    matrix = np.array([[size / w, 0.0, 0.0], [0.0, size / h, 0.0]])
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA), matrix


def _points(x: Optional[np.ndarray]) -> Optional[list]:
    return None if x is None else np.round(x, 2).tolist()


def crop_image(img: np.ndarray, faces: Sequence[Face],
               settings: CropSettings) -> Tuple[str, List[Tuple[np.ndarray,
                                                                dict]]]:
    """Crops of one image by the settings' policies.

    Returns:
        The decision and the crops, each with its manifest record (without
        ``file``): method, box, score, landmarks in the photo and in the crop.

    Raises:
        NoFaceError: No face and ``no_face='fail'``.
    """
    chosen, decision = select_faces(faces, settings)
    if not chosen:
        if settings.no_face == 'fail':
            raise NoFaceError('no face found')
        if settings.no_face == 'skip':
            return 'no_face:skip', []
        crop, _ = whole_image(img, settings.size)
        return 'no_face:keep', [(crop, dict(
            method='whole_image', box=None, score=None, landmarks=None,
            crop_landmarks=None))]
    crops = []
    for face in chosen:
        matrix, method = crop_transform(face, settings)
        lms = face.landmarks
        crops.append((warp_crop(img, matrix, settings.size), dict(
            method=method,
            box=[round(v, 2) for v in face.box],
            score=round(face.score, 4),
            landmarks=_points(lms),
            crop_landmarks=None if lms is None else _points(
                apply_transform(lms, matrix)))))
    return decision, crops
