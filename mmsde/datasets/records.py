"""The records of a masked-FER dataset and the samples built from them.

A dataset reads its annotation into :class:`FERRecord` objects; these
helpers select a native split and views and turn records into the data
contract's sample dicts (``img_path``, ``gt_label``, ``masked``,
``subject``, ``pair_id``), single-view or paired ``[non_masked, masked]``.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .checks import DataEntryError


@dataclass(frozen=True, eq=False)
class FERRecord:
    """One image of a masked-FER dataset, as read from its annotation.

    Args:
        img_path (str): Absolute image path, or a location such as
            ``'fer2013.csv:12'`` when ``img`` holds the pixels.
        gt_label (int): Class index into ``FER_CLASSES``.
        masked (bool): Whether the face wears a mask.
        subject (str): Identity of the person; the unit of the folds.
        pair_id (str): Key shared by the non-masked and the masked image of
            one pair.
        split (str, optional): The dataset's native split of the image, if
            it has one. Defaults to None.
        source (str): ``'<annotation file>:<line>'``, used in messages.
            Defaults to ''.
        img (np.ndarray, optional): Decoded pixels, for datasets stored as a
            table (FER2013). Defaults to None.
    """
    img_path: str
    gt_label: int
    masked: bool
    subject: str
    pair_id: str
    split: Optional[str] = None
    source: str = ''
    img: Optional[np.ndarray] = None


def image_folders(img_dir: str, masked_dir: Optional[str]
                  ) -> List[Tuple[str, bool]]:
    """``(folder, masked)`` of a dataset's images: its own folder, and the
    masked copies' folder (same names) when there is one."""
    return [(img_dir, False)] + ([(masked_dir, True)] if masked_dir else [])


def select_native_split(records: List[FERRecord], split: str,
                        name: str) -> List[FERRecord]:
    """Keep the records of a native split (``'all'`` keeps every record).

    Args:
        records (list[FERRecord]): All records.
        split (str): Requested split.
        name (str): Dataset name, for messages.

    Returns:
        list[FERRecord]: The records whose ``split`` equals ``split``.
    """
    if split == 'all':
        return list(records)
    native = sorted({r.split for r in records if r.split is not None})
    if not native:
        raise ValueError(
            f'{name} has no native split: set fold (0..num_folds-1) for '
            "subject-disjoint folds, or split='all'")
    unsplit = next((r for r in records if r.split is None), None)
    if unsplit is not None:
        raise ValueError(f'{name}: {unsplit.source} ({unsplit.img_path}) has '
                         'no split while other entries do; give every entry '
                         'a split, or set fold for subject folds')
    if split not in native:
        raise ValueError(
            f'{name}: split={split!r} is not a native split of this dataset '
            f'{native}; choose one of them, or set fold for subject folds')
    return [r for r in records if r.split == split]


def in_view(rec: FERRecord, views: str) -> bool:
    """Whether a record belongs to ``views`` (pairs need both sides)."""
    if views == 'non_masked':
        return not rec.masked
    if views == 'masked':
        return rec.masked
    return True


def single_info(rec: FERRecord) -> dict:
    """Data-contract dict of a single-view sample."""
    info = dict(
        img_path=rec.img_path,
        gt_label=int(rec.gt_label),
        masked=bool(rec.masked),
        subject=rec.subject,
        pair_id=rec.pair_id)
    if rec.img is not None:
        info['img'] = rec.img
    return info


def group_pairs(
    records: List[FERRecord]
) -> List[Tuple[str, List[FERRecord], List[FERRecord]]]:
    """Group records by ``pair_id`` in order of first appearance.

    Returns:
        list[tuple]: ``(pair_id, non_masked_records, masked_records)``.
    """
    groups: Dict[str, Tuple[List[FERRecord], List[FERRecord]]] = {}
    for rec in records:
        groups.setdefault(rec.pair_id, ([], []))[int(rec.masked)].append(rec)
    return [(pid, nm, m) for pid, (nm, m) in groups.items()]


def make_pair(
        group: Tuple[str, List[FERRecord], List[FERRecord]]) -> List[dict]:
    """Data-contract dict of one pair, ``[non_masked, masked]``.

    When a record holds its pixels (FERPlus's non-masked faces), the pair
    also gets ``img=[non_masked, masked]``, None for a side to be read from
    its file (``LoadImagePair`` loads it).

    Args:
        group (tuple): ``(pair_id, non_masked_records, masked_records)``.

    Returns:
        list[dict]: One paired sample.

    Raises:
        DataEntryError: If a side is missing or doubled, or the sides
            disagree on label or subject; the message names the pair.
    """
    pair_id, non_masked, masked = group
    for side, recs, other in (('non-masked', non_masked, masked),
                              ('masked', masked, non_masked)):
        if not recs:
            raise DataEntryError(
                f"{other[0].source}: pair '{pair_id}' has no {side} image "
                f'(its other image is {other[0].img_path})')
        if len(recs) > 1:
            raise DataEntryError(
                f"pair '{pair_id}' has {len(recs)} {side} images: "
                f'{[r.img_path for r in recs]}')
    nm, m = non_masked[0], masked[0]
    if (nm.gt_label, nm.subject) != (m.gt_label, m.subject):
        raise DataEntryError(
            f"pair '{pair_id}': {nm.img_path} (label {nm.gt_label}, subject "
            f'{nm.subject!r}) and {m.img_path} (label {m.gt_label}, subject '
            f'{m.subject!r}) disagree')
    info = dict(
        img_path=[nm.img_path, m.img_path],
        gt_label=int(nm.gt_label),
        masked=(False, True),
        subject=nm.subject,
        pair_id=pair_id)
    if nm.img is not None or m.img is not None:
        info['img'] = [nm.img, m.img]
    return [info]
