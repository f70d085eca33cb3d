"""Write face images in MSD-E's paired layout.

MSD-E (https://arxiv.org/abs/2304.03867) keeps non-masked faces in
``MSD-E/``, masked faces under the same file names in ``MSD-ME/`` and lists
the pairs in ``Paired_files.txt`` (CSV without header, file name first).
These helpers write that layout, and :func:`add_synthetic_masks` turns any
folder of aligned, labelled face crops into such a set with synthetic masks.
"""
import shutil
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .classes import FER_CLASSES
from .transforms.face_mask import MASK_STYLES, draw_face_mask

NON_MASKED_DIR = 'MSD-E'
MASKED_DIR = 'MSD-ME'
PAIRS_FILE = 'Paired_files.txt'


def pair_name(subject: int, label: int, k: int) -> str:
    """File name of a pair: ``<subject:03d>_<label>_<k>.png``."""
    return f'{subject:03d}_{label}_{k}.png'


def prepare_msde_root(out_dir: Union[str, Path], overwrite: bool) -> Path:
    """Create ``out_dir`` with empty ``MSD-E/`` and ``MSD-ME/`` folders.

    Args:
        out_dir (str | Path): Output root.
        overwrite (bool): Allow a non-empty ``out_dir``; its ``MSD-E/``,
            ``MSD-ME/`` and ``Paired_files.txt`` are then deleted first and
            anything else is left alone.

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
        (root / PAIRS_FILE).unlink(missing_ok=True)
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


class FaceRecord(NamedTuple):
    """One row of an image list: ``file,label[,subject]``."""
    file: str
    label: int
    subject: Optional[int]
    line: int


def parse_label(value: str, where: str) -> int:
    """Parse a label given as an index ``0..6`` or a class name.

    Args:
        value (str): The label text.
        where (str): ``file:line`` used in the error message.

    Returns:
        int: The class index.
    """
    text = value.strip()
    if text.isdigit() and int(text) < len(FER_CLASSES):
        return int(text)
    names = [c.lower() for c in FER_CLASSES]
    if text.lower() in names:
        return names.index(text.lower())
    raise ValueError(f'{where}: unknown label {value!r}; expected 0..'
                     f'{len(FER_CLASSES) - 1} or one of {FER_CLASSES}.')


def read_face_list(ann_file: Union[str, Path]) -> List[FaceRecord]:
    """Read ``file,label[,subject]`` rows (commas or whitespace).

    Blank lines, ``#`` comments and a first-line header whose second field
    is ``label`` are skipped. Either every row gives a subject or none does.

    Args:
        ann_file (str | Path): The list.

    Returns:
        list[FaceRecord]: One record per row.
    """
    records = []
    lines = Path(ann_file).read_text().splitlines()
    for num, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        fields = [
            f.strip()
            for f in (line.split(',') if ',' in line else line.split())
        ]
        where = f'{ann_file}:{num}'
        if len(fields) not in (2, 3) or not fields[0]:
            raise ValueError(f"{where}: expected 'file,label[,subject]', "
                             f'got {raw!r}.')
        if not records and fields[1].lower() == 'label':
            continue  # header
        subject = None
        if len(fields) == 3:
            if not fields[2].isdigit():
                raise ValueError(f'{where}: subject must be a non-negative '
                                 f'integer, got {fields[2]!r}.')
            subject = int(fields[2])
        if records and (subject is None) != (records[0].subject is None):
            raise ValueError(f'{where}: give a subject on every row or on '
                             f'none (line {records[0].line} differs).')
        records.append(
            FaceRecord(fields[0], parse_label(fields[1], where), subject, num))
    if not records:
        raise ValueError(f'{ann_file} lists no images.')
    return records


def add_synthetic_masks(img_dir: Union[str, Path],
                        ann_file: Union[str, Path],
                        out_dir: Union[str, Path],
                        styles: Sequence[str] = MASK_STYLES,
                        seed: int = 0,
                        overwrite: bool = False) -> Dict:
    """Turn labelled aligned face crops into an MSD-E-style paired set.

    Each listed image is written as PNG to ``MSD-E/`` and, with a synthetic
    mask drawn by :func:`draw_face_mask` (ArcFace template landmarks, as
    for aligned crops), to ``MSD-ME/``, both named
    ``<subject:03d>_<label>_<k>.png``, ``k`` counting the subject's images
    of that label in list order. Without a subject column every image is
    its own subject (numbered by row), so subject-disjoint folds are only
    image-disjoint: give subjects when they are known.

    Args:
        img_dir (str | Path): Folder the listed file names are relative to.
        ann_file (str | Path): ``file,label[,subject]`` list, see
            :func:`read_face_list`.
        out_dir (str | Path): Output root.
        styles (Sequence[str]): Mask styles to draw from.
        seed (int): Seed of the mask drawing. Defaults to 0.
        overwrite (bool): Replace an existing set in a non-empty ``out_dir``.

    Returns:
        dict: Summary with the counts and paths written.
    """
    bad = [s for s in styles if s not in MASK_STYLES]
    if bad or not styles:
        raise ValueError(f'styles must be a non-empty subset of '
                         f'{MASK_STYLES}, got {tuple(styles)}.')
    records = read_face_list(ann_file)
    images = []
    for rec in records:  # check every image before writing anything
        path = Path(img_dir) / rec.file
        if not path.is_file():
            raise FileNotFoundError(
                f'{ann_file}:{rec.line}: image {path} not found.')
        images.append(path)
    root = prepare_msde_root(out_dir, overwrite)
    counts: Dict[Tuple[int, int], int] = {}
    rows = []
    for idx, (rec, path) in enumerate(zip(records, images)):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(
                f'{ann_file}:{rec.line}: cannot decode image {path}.')
        subject = idx + 1 if rec.subject is None else rec.subject
        k = counts.get((subject, rec.label), 0)
        counts[(subject, rec.label)] = k + 1
        name = pair_name(subject, rec.label, k)
        rng = np.random.default_rng([seed, idx])
        style = styles[rng.integers(len(styles))]
        write_png(root / NON_MASKED_DIR / name, img)
        write_png(root / MASKED_DIR / name,
                  draw_face_mask(img, style=style, rng=rng))
        rows.append((name, rec.label))
    pairs_file = write_pairs_file(root, rows)
    return dict(
        root=str(root),
        non_masked_dir=str(root / NON_MASKED_DIR),
        masked_dir=str(root / MASKED_DIR),
        pairs_file=str(pairs_file),
        num_subjects=len({s
                          for s, _ in counts}),
        num_pairs=len(rows),
        num_images=2 * len(rows))
