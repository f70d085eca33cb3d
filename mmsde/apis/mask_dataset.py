"""Masked copies of a face dataset (RAF-DB, AffectNet, FERPlus, CK+...),
written where the dataset reads them with ``masked_dir``.

Every non-masked image of the dataset gets a synthetic mask
(:func:`mmsde.synthetic.draw_face_mask`, turned with the head) placed from
5-point landmarks taken, in this order of preference, from the dataset
itself (AffectNet's 68 points), a face-crop manifest
(``tools/crop_faces.py``), the offline MTCNN, or the aligned template for
pre-aligned crops. Each image is masked or listed with its reason (no
landmarks, no face, landmarks off the image, head turned beyond
``max_yaw``): nothing is dropped silently. Draws are deterministic per seed
and per image (the style and the mask's jitter depend on the image's name,
not on the order), greyscale faces (FER2013's 48x48) stay greyscale, and a
manifest (``<masked_dir>/masks.jsonl``) says what was drawn where.
"""
import json
import math
import os
import os.path as osp
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import track_iter_progress

from mmsde.synthetic.masks import (ALL_MASK_STYLES, check_mask_styles,
                                   draw_face_mask, estimate_roll,
                                   estimate_yaw)
from mmsde.utils.atomic import atomic_path
from mmsde.utils.landmarks import template_landmarks

LANDMARK_SOURCES = ('dataset', 'manifest', 'mtcnn', 'template')
MANIFEST = 'masks.jsonl'


@dataclass
class MaskedImage:
    """What happened to one image: ``masked`` or ``skipped`` with a reason;
    paths relative to the dataset root."""
    source: str
    target: str
    status: str
    reason: str = ''
    style: str = ''
    landmarks_from: str = ''
    landmarks: Optional[List[List[float]]] = None
    yaw_deg: Optional[float] = None
    roll_deg: Optional[float] = None


@dataclass
class MaskingReport:
    """Counts of a run; ``images == masked + sum(skipped.values())``."""
    images: int = 0
    masked: int = 0
    skipped: Counter = field(default_factory=Counter)
    landmarks_from: Counter = field(default_factory=Counter)
    styles: Counter = field(default_factory=Counter)
    manifest: str = ''

    def summary(self) -> str:
        skipped = ', '.join(f'{n} {r}' for r, n in self.skipped.items())
        return (f'{self.images} images: {self.masked} masked, '
                f'{sum(self.skipped.values())} listed as not masked'
                + (f' ({skipped})' if skipped else '')
                + f'; landmarks from {dict(self.landmarks_from)}; styles '
                f'{dict(self.styles)}; manifest {self.manifest}')


def image_rng(seed: int, key: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and the image's ``key``."""
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


def landmarks_problem(lms: np.ndarray, shape: Tuple[int, int],
                      max_yaw_deg: float) -> str:
    """Why a mask can not be placed from ``lms`` ('' when it can)."""
    h, w = shape
    if not np.all(np.isfinite(lms)) or lms[:, 0].min() < 0 or \
            lms[:, 1].min() < 0 or lms[:, 0].max() >= w or \
            lms[:, 1].max() >= h:
        return 'landmarks off the image'
    if np.hypot(*(lms[1] - lms[0])) < 2:
        return 'eyes less than 2 px apart'
    if abs(math.degrees(estimate_yaw(lms))) > max_yaw_deg:
        return f'head turned beyond {max_yaw_deg:g} degrees'
    return ''


def mask_image(img: np.ndarray, lms: np.ndarray, styles: Sequence[str],
               rng: np.random.Generator) -> Tuple[np.ndarray, str]:
    """``img`` (BGR, or 2-D grey kept grey) with a mask turned with the head,
    its style drawn from ``styles``."""
    style = styles[rng.integers(len(styles))]
    grey = img.ndim == 2
    bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if grey else img
    out = draw_face_mask(bgr, lms, style=style, rng=rng, follow_yaw=True)
    return (cv2.cvtColor(out, cv2.COLOR_BGR2GRAY) if grey else out), style


class LandmarkFinder:
    """The 5 landmarks of an image, from the first source that has them.

    Args:
        sources: Sources in order of preference (:data:`LANDMARK_SOURCES`).
        dataset_landmarks: ``pair_id -> (5, 2) or None`` (the dataset's).
        manifest: Landmarks by resolved image path (a crop manifest's).
        detector: A face detector with ``detect([img])`` (MTCNN).
    """

    def __init__(self, sources: Sequence[str],
                 dataset_landmarks: Optional[Callable] = None,
                 manifest: Optional[Dict[str, list]] = None,
                 detector=None):
        unknown = [s for s in sources if s not in LANDMARK_SOURCES]
        if unknown or not sources:
            raise ValueError(f'landmark sources must be a non-empty subset '
                             f'of {LANDMARK_SOURCES}, got {list(sources)}')
        self.sources = list(sources)
        self.dataset_landmarks = dataset_landmarks
        self.manifest = manifest or {}
        self.detector = detector

    def find(self, img: np.ndarray, pair_id: str, path: str
             ) -> Tuple[Optional[np.ndarray], str]:
        """``(landmarks, source)``, or ``(None, why)`` when none has them."""
        why = 'no landmarks'
        for source in self.sources:
            if source == 'dataset' and self.dataset_landmarks:
                lms = self.dataset_landmarks(pair_id)
            elif source == 'manifest':
                lms = self.manifest.get(osp.realpath(path))
            elif source == 'mtcnn' and self.detector is not None:
                lms, why = self._detected(img)
            elif source == 'template':
                lms = template_landmarks(img.shape[1], img.shape[0])
            else:
                lms = None
            if lms is not None:
                return np.asarray(lms, np.float64), source
        return None, why

    def _detected(self, img: np.ndarray) -> Tuple[Optional[np.ndarray], str]:
        bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
        faces = [f for f in self.detector.detect([bgr])[0]
                 if f.landmarks is not None]
        if not faces:
            return None, 'no face found'
        biggest = max(faces, key=lambda f: (f.box[2] - f.box[0]) *
                      (f.box[3] - f.box[1]))
        return np.asarray(biggest.landmarks), ''


def masking_pairs(dataset) -> List[Tuple[object, str]]:
    """``(non-masked record, masked target path)`` of every image of a
    dataset built with ``masked_dir`` (records read, images not checked)."""
    records = dataset.load_records()
    targets = {r.pair_id: r.img_path for r in records if r.masked}
    return [(r, targets[r.pair_id]) for r in records
            if not r.masked and r.pair_id in targets]


def read_source(record) -> np.ndarray:
    """The record's pixels (in memory, or its file read as stored: grey
    stays 2-D)."""
    if record.img is not None:
        return record.img
    img = cv2.imread(record.img_path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'{record.source}: cannot read image '
                         f'{record.img_path}')
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img


def mask_dataset(dataset,
                 finder: LandmarkFinder,
                 styles: Sequence[str] = ALL_MASK_STYLES,
                 seed: int = 0,
                 max_yaw_deg: float = 45.0,
                 overwrite: bool = False,
                 progress: bool = True) -> MaskingReport:
    """Write a masked copy of every image of ``dataset`` where it reads them.

    Args:
        dataset: An mmsde dataset built with ``masked_dir`` (and
            ``lazy_init=True``): its masked records name the targets.
        finder: Where the landmarks come from.
        styles: Mask styles to draw from (:data:`ALL_MASK_STYLES`).
        seed: Seed of the draws; an image's draw depends on it and on the
            image's pair id only.
        max_yaw_deg: Heads turned further are listed, not masked.
        overwrite: Replace masked copies already there; otherwise an
            existing copy stops the run before anything is written.
        progress: Show a progress bar.

    Returns:
        The counts; the manifest lists every image.
    """
    styles = check_mask_styles(styles)
    root = dataset.data_root
    pairs = masking_pairs(dataset)
    if not pairs:
        raise ValueError(f'{type(dataset).__name__} in {root}: no image to '
                         'mask (is masked_dir set?)')
    existing = [t for _, t in pairs if osp.exists(t)]
    if existing and not overwrite:
        raise FileExistsError(f'{len(existing)} masked copies exist already '
                              f'(first: {existing[0]}): pass overwrite=True '
                              '(--overwrite) to replace them')
    report = MaskingReport(images=len(pairs))
    rows = []
    for record, target in (track_iter_progress(pairs) if progress
                           else pairs):
        outcome = _mask_one(record, target, root, finder, styles, seed,
                            max_yaw_deg)
        rows.append(asdict(outcome))
        if outcome.status == 'masked':
            report.masked += 1
            report.styles[outcome.style] += 1
            report.landmarks_from[outcome.landmarks_from] += 1
        else:
            report.skipped[outcome.reason] += 1
    masked_dir = osp.commonpath([t for _, t in pairs])
    report.manifest = osp.join(masked_dir, MANIFEST)
    with atomic_path(report.manifest) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(r) + '\n' for r in rows)
    assert report.masked + sum(report.skipped.values()) == report.images
    return report


def _mask_one(record, target: str, root: str, finder: LandmarkFinder,
              styles: Sequence[str], seed: int,
              max_yaw_deg: float) -> MaskedImage:
    """Mask one image, or say why not."""
    result = MaskedImage(source=_relative(record.img_path, root),
                         target=_relative(target, root), status='skipped')
    img = read_source(record)
    lms, found = finder.find(img, record.pair_id, record.img_path)
    if lms is None:
        result.reason = found
        return result
    result.landmarks_from = found
    result.landmarks = np.round(lms, 2).tolist()
    result.reason = landmarks_problem(lms, img.shape[:2], max_yaw_deg)
    if result.reason:
        return result
    out, result.style = mask_image(img, lms, styles,
                                   image_rng(seed, record.pair_id))
    os.makedirs(osp.dirname(target), exist_ok=True)
    with atomic_path(target) as tmp:
        if not cv2.imwrite(tmp, out):
            raise OSError(f'could not write {target}')
    result.status = 'masked'
    result.yaw_deg = round(math.degrees(estimate_yaw(lms)), 1)
    result.roll_deg = round(math.degrees(estimate_roll(lms)), 1)
    return result


def _relative(path: str, root: str) -> str:
    """``path`` relative to the dataset root (a pixel location as is)."""
    return osp.relpath(path, root) if osp.isabs(path) else path
