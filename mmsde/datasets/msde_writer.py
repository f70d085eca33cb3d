"""Write face images in MSD-E's paired layout.

MSD-E (https://arxiv.org/abs/2304.03867) keeps non-masked faces in
``MSD-E/``, masked faces under the same file names in ``MSD-ME/`` and lists
the pairs in ``Paired_files.txt`` (CSV without header, file name first), as
:class:`~mmsde.datasets.MSDE` reads it. Two writers fill that layout:
:func:`generate_synthetic_msde` with the drawn faces of
:mod:`mmsde.synthetic`, and :func:`add_synthetic_masks` with users' aligned
face crops and synthetic masks.
"""
import json
import os.path as osp
import re
import shutil
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmsde.synthetic import (GENERATOR_VERSION, MASK_STYLES, check_mask_styles,
                             check_masked_view, draw_face_mask, make_identity,
                             render_pair)
from mmsde.utils.classes import FER_CLASSES

from .annotation import parse_entry, read_annotation
from .checks import DataEntryError, check_min_ints, parse_index
from .msde import (MASKED_DIR, NON_MASKED_DIR, PAIRS_FILE, SYNTHETIC_RECORD,
                   check_synthetic_view, parse_synthetic_record)

_SUBJECT = re.compile(r'^[^_/\\\s]+$')
#: Where the tools keep the synthetic benchmark of each masked view: the
#: first version (``'overlay'``) keeps its folder, the second its own, so
#: that one is never read as the other.
SYNTHETIC_ROOTS = {
    'overlay': 'data/synthetic_msde',
    'second_photo': 'data/synthetic_msde_second-photo',
}


def subject_id(subject: Union[int, str]) -> str:
    """A subject as it appears in MSD-E file names.

    Numeric subjects are zero-padded to 3 digits (``7`` and ``'007'`` ->
    ``'007'``); other IDs are used as they are and may not hold ``_``, a
    slash or white space, which MSD-E's ``<subject>_<label>_<rest>`` names
    forbid.
    """
    text = str(subject)
    if parse_index(text) is not None:
        return f'{int(text):03d}'
    if not _SUBJECT.match(text):
        raise ValueError(f'subject {subject!r} cannot be part of an MSD-E '
                         "file name (no '_', slash or white space)")
    return text


def pair_name(subject: Union[int, str], label: int, k: int) -> str:
    """File name of a pair: ``<subject>_<label>_<k>.png``, the subject as
    :func:`subject_id` writes it."""
    return f'{subject_id(subject)}_{label}_{k}.png'


def prepare_msde_root(out_dir: Union[str, Path], overwrite: bool) -> Path:
    """Create ``out_dir`` with empty ``MSD-E/`` and ``MSD-ME/`` folders.

    Args:
        out_dir (str | Path): Output root.
        overwrite (bool): Allow a non-empty ``out_dir``; its ``MSD-E/``,
            ``MSD-ME/``, ``Paired_files.txt`` and ``synthetic.json`` are then
            deleted first and anything else is left alone.

    Returns:
        Path: The root.

    Raises:
        FileExistsError: If ``out_dir`` is not empty and not ``overwrite``.
    """
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f'Output path {root} is a file.')
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f'Output directory {root} is not empty; use overwrite '
                f'(--overwrite) to replace its {NON_MASKED_DIR}/, '
                f'{MASKED_DIR}/ and {PAIRS_FILE}.')
        for sub in (NON_MASKED_DIR, MASKED_DIR):
            if (root / sub).is_dir():
                shutil.rmtree(root / sub)
        for name in (PAIRS_FILE, SYNTHETIC_RECORD):
            (root / name).unlink(missing_ok=True)
    (root / NON_MASKED_DIR).mkdir(parents=True, exist_ok=True)
    (root / MASKED_DIR).mkdir(exist_ok=True)
    return root


def write_png(path: Path, img: np.ndarray) -> None:
    """Write a PNG with fixed settings (no metadata, reproducible bytes)."""
    if not cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        raise OSError(f'Could not write image {path}.')


def write_pairs_file(root: Path, rows: Sequence[Tuple[str, int]]) -> Path:
    """Write ``Paired_files.txt``: sorted ``<name>,<label>`` lines.

    Args:
        root (Path): Dataset root.
        rows (Sequence[tuple]): ``(file name, label)`` per pair.

    Returns:
        Path: The file written.
    """
    path = root / PAIRS_FILE
    lines = [f'{name},{label}\n' for name, label in sorted(rows)]
    with open(path, 'w', newline='\n') as f:
        f.writelines(lines)
    return path


def _summary(root: Path, pairs_file: Path,
             rows: Sequence[Tuple[str, int]]) -> Dict:
    """What a writer wrote: folders, pair list and counts."""
    return dict(
        root=str(root),
        non_masked_dir=str(root / NON_MASKED_DIR),
        masked_dir=str(root / MASKED_DIR),
        pairs_file=str(pairs_file),
        num_pairs=len(rows),
        num_images=2 * len(rows))


def synthetic_record(num_subjects: int, img_size: int, seed: int,
                     images_per_expression: int, mask_styles: Sequence[str],
                     masked_view: str) -> Dict:
    """What defines a synthetic benchmark's pixels, as its folder records
    it (:data:`~mmsde.datasets.msde.SYNTHETIC_RECORD`)."""
    return dict(generator_version=GENERATOR_VERSION,
                masked_view=masked_view, seed=int(seed),
                img_size=int(img_size), num_subjects=int(num_subjects),
                images_per_expression=int(images_per_expression),
                mask_styles=list(mask_styles))


def read_synthetic_record(root: Union[str, Path]) -> Dict:
    """The record of the synthetic benchmark at ``root`` ({} if none)."""
    path = Path(root) / SYNTHETIC_RECORD
    if not path.is_file():
        return {}
    return parse_synthetic_record(path.read_text(), str(path))


def generate_synthetic_msde(out_dir: Union[str, Path],
                            num_subjects: int = 142,
                            img_size: int = 112,
                            seed: int = 0,
                            images_per_expression: int = 1,
                            mask_styles: Sequence[str] = MASK_STYLES,
                            overwrite: bool = False,
                            masked_view: str = 'overlay') -> Dict:
    """Write a synthetic benchmark in MSD-E's layout.

    ``<out_dir>/MSD-E/<name>.png`` holds the faces, ``<out_dir>/MSD-ME/``
    their masked views, ``<out_dir>/Paired_files.txt`` one
    ``<name>,<label>`` line per pair. Names are
    ``<subject:03d>_<label>_<k>.png``, subjects ``1..num_subjects``.
    ``<out_dir>/synthetic.json``, written last (a set with it is complete),
    records the arguments and the generator version, so that
    :class:`~mmsde.datasets.MSDE` (``synthetic_view``) refuses a set of the
    other masked view.

    Args:
        out_dir (str | Path): Output root.
        num_subjects (int): Number of subjects. Defaults to 142, as MSD-E.
        img_size (int): Image side in pixels. Defaults to 112.
        seed (int): Seed; the same seed and masked view give byte-identical
            images.
        images_per_expression (int): Images per subject and expression.
            Defaults to 1.
        mask_styles (Sequence[str]): Mask styles to draw from.
        overwrite (bool): Replace an existing set in a non-empty
            ``out_dir``. Defaults to False.
        masked_view (str): ``'overlay'`` (the mask drawn on the non-masked
            image, the first version) or ``'second_photo'`` (on a second
            photograph, as MSD-E pairs images), see
            :func:`~mmsde.synthetic.render_pair`. Defaults to ``'overlay'``.

    Returns:
        dict: Summary with the counts and paths written.
    """
    check_min_ints(('num_subjects', num_subjects, 1),
                   ('img_size', img_size, 24),
                   ('images_per_expression', images_per_expression, 1),
                   ('seed', seed, 0))
    if num_subjects > 999:
        raise ValueError(f'num_subjects must be <= 999 (3-digit subject '
                         f'IDs), got {num_subjects}.')
    mask_styles = check_mask_styles(mask_styles, 'mask_styles')
    record = synthetic_record(num_subjects, img_size, seed,
                              images_per_expression, mask_styles,
                              check_masked_view(masked_view))
    start = time.perf_counter()
    root = prepare_msde_root(out_dir, overwrite)
    rows = []
    for subject in range(1, num_subjects + 1):
        ident = make_identity(seed, subject)
        for label in range(len(FER_CLASSES)):
            for k in range(images_per_expression):
                face, masked, _ = render_pair(seed, subject, label, k,
                                              img_size, mask_styles, ident,
                                              masked_view)
                name = pair_name(subject, label, k)
                write_png(root / NON_MASKED_DIR / name, face)
                write_png(root / MASKED_DIR / name, masked)
                rows.append((name, label))
    pairs_file = write_pairs_file(root, rows)
    (root / SYNTHETIC_RECORD).write_text(json.dumps(record, indent=2) + '\n')
    return dict(
        **_summary(root, pairs_file, rows),
        num_subjects=num_subjects,
        img_size=img_size,
        seed=seed,
        masked_view=masked_view,
        seconds=round(time.perf_counter() - start, 2))


def ensure_synthetic_msde(out_dir: Union[str, Path],
                          masked_view: str) -> Optional[Dict]:
    """Generate the synthetic benchmark (the defaults of
    :func:`generate_synthetic_msde`) at ``out_dir`` unless a complete set of
    ``masked_view`` is there.

    A folder without a record (never generated, half-written, or made
    before sets recorded their masked view) is regenerated; a folder whose
    record names the other masked view is refused, not replaced.

    Args:
        out_dir (str | Path): The benchmark's folder.
        masked_view (str): ``'overlay'`` or ``'second_photo'``.

    Returns:
        dict | None: The summary of the set written, None if none was.

    Raises:
        ValueError: ``out_dir`` holds a set of the other masked view.
    """
    record = read_synthetic_record(out_dir)
    if record:
        check_synthetic_view(record, str(Path(out_dir) / SYNTHETIC_RECORD),
                             check_masked_view(masked_view), str(out_dir))
        return None
    return generate_synthetic_msde(out_dir, masked_view=masked_view,
                                   overwrite=True)


def read_face_list(ann_file: Union[str, Path]) -> List[dict]:
    """Entries of a list of non-masked face crops (any annotation format of
    :mod:`mmsde.datasets.annotation`; ``img_path`` and ``gt_label``
    required, ``subject`` optional on every row or on none).

    Args:
        ann_file (str | Path): The list.

    Returns:
        list[dict]: Parsed entries, each with its ``source`` location.
    """
    path, required = str(ann_file), ('img_path', 'gt_label')
    _, raw_entries = read_annotation(Path(path).read_text(), path, required)
    entries = []
    for source, raw in raw_entries:
        entry = parse_entry(raw, source, FER_CLASSES, required)
        if entry['masked']:
            raise DataEntryError(f'{source}: {entry["img_path"]} is marked '
                                 'masked; list non-masked crops only')
        if entries and (entry['subject'] is None) != (
                entries[0]['subject'] is None):
            raise DataEntryError(
                f'{source}: give a subject on every row or on none '
                f'({entries[0]["source"]} differs)')
        entries.append(dict(entry, source=source))
    if not entries:
        raise ValueError(f'{path} lists no images.')
    return entries


def add_synthetic_masks(img_dir: Union[str, Path],
                        ann_file: Union[str, Path],
                        out_dir: Union[str, Path],
                        styles: Sequence[str] = MASK_STYLES,
                        seed: int = 0,
                        overwrite: bool = False,
                        landmarks: Optional[Mapping[str, Any]] = None
                        ) -> Dict:
    """Turn labelled face crops into an MSD-E-style paired set.

    Each listed image is written as PNG to ``MSD-E/`` and, with a synthetic
    mask drawn by :func:`~mmsde.synthetic.draw_face_mask`, to ``MSD-ME/``,
    both named by :func:`pair_name`, ``k`` counting the subject's images of
    that label in list order. The mask follows the image's 5 landmarks when
    ``landmarks`` has them (real photos cropped by
    :func:`mmsde.apis.crop_faces`, whose manifest records them in crop
    pixels), else the ArcFace template (aligned crops). Without a subject
    column every image is its own subject (numbered by row), so
    subject-disjoint folds are only image-disjoint: give subjects when they
    are known.

    Args:
        img_dir (str | Path): Folder the listed file names are relative to.
        ann_file (str | Path): The list, see :func:`read_face_list`.
        out_dir (str | Path): Output root.
        styles (Sequence[str]): Mask styles to draw from.
        seed (int): Seed of the mask drawing. Defaults to 0.
        overwrite (bool): Replace an existing set in a non-empty ``out_dir``.
        landmarks (Mapping[str, array], optional): ``(5, 2)`` landmarks in
            the image's pixels, by resolved image path (e.g.
            :func:`mmsde.datasets.crop_manifest.crop_landmarks`).

    Returns:
        dict: Summary with the counts and paths written.
    """
    return write_masked_pairs(img_dir, read_face_list(ann_file), out_dir,
                              styles, seed, overwrite, landmarks)


def write_masked_pairs(img_dir: Union[str, Path],
                       entries: Sequence[dict],
                       out_dir: Union[str, Path],
                       styles: Sequence[str] = MASK_STYLES,
                       seed: int = 0,
                       overwrite: bool = False,
                       landmarks: Optional[Mapping[str, Any]] = None
                       ) -> Dict:
    """:func:`add_synthetic_masks` on entries already read (``img_path``,
    ``gt_label``, ``subject`` and ``source`` for messages)."""
    styles = check_mask_styles(styles)
    landmarks = landmarks or {}
    names, counts = [], {}
    for idx, entry in enumerate(entries):  # check all before writing
        path = Path(img_dir) / entry['img_path']
        if not path.is_file():
            raise FileNotFoundError(
                f'{entry["source"]}: image {path} not found.')
        try:
            subject = subject_id(entry['subject'] or idx + 1)
        except ValueError as err:
            raise DataEntryError(f'{entry["source"]}: {err}') from None
        k = counts.get((subject, entry['gt_label']), 0)
        counts[(subject, entry['gt_label'])] = k + 1
        names.append((path, pair_name(subject, entry['gt_label'], k)))
    root = prepare_msde_root(out_dir, overwrite)
    rows = []
    for idx, (entry, (path, name)) in enumerate(zip(entries, names)):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(
                f'{entry["source"]}: cannot decode image {path}.')
        rng = np.random.default_rng([seed, idx])
        style = styles[rng.integers(len(styles))]
        write_png(root / NON_MASKED_DIR / name, img)
        write_png(root / MASKED_DIR / name,
                  draw_face_mask(img, landmarks.get(osp.realpath(path)),
                                 style=style, rng=rng))
        rows.append((name, entry['gt_label']))
    pairs_file = write_pairs_file(root, rows)
    return dict(**_summary(root, pairs_file, rows),
                num_subjects=len({s for s, _ in counts}))
