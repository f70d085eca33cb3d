"""A masked-FER dataset driven by an annotation file, for users' own data."""
import json
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Tuple

from mmpretrain.registry import DATASETS

from .base import (DataEntryError, FERRecord, MaskedFERBaseDataset, csv_header,
                   csv_rows, row_dict)

REQUIRED_FIELDS = ('img_path', 'label', 'masked')
MASKED_VALUES = {'1': True, 'true': True, '0': False, 'false': False}


def parse_masked(value: Any, source: str) -> bool:
    """Parse ``masked`` from ``0``/``1``/``true``/``false`` (any case).

    Args:
        value: The field value (str, int or bool).
        source (str): ``'<file>:<line>'``, for the message.

    Returns:
        bool: Whether the face is masked.
    """
    text = str(value).strip().lower()
    if text not in MASKED_VALUES:
        raise DataEntryError(f'{source}: masked={value!r} is not one of '
                             '0, 1, true, false')
    return MASKED_VALUES[text]


def parse_label(value: Any, classes: Tuple[str, ...], source: str) -> int:
    """Parse ``label`` from a class index or a class name (any case).

    Args:
        value: The field value, e.g. ``3``, ``'3'`` or ``'Happiness'``.
        classes (tuple[str]): Class names; their index is the label.
        source (str): ``'<file>:<line>'``, for the message.

    Returns:
        int: The class index (range checked later by the base dataset).
    """
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    by_name = {name.lower(): i for i, name in enumerate(classes)}
    if text.lower() not in by_name:
        raise DataEntryError(f'{source}: label={value!r} is neither a class '
                             f'index nor a class name {tuple(classes)}')
    return by_name[text.lower()]


def annotation_rows(text: str, path: str) -> Iterator[Tuple[str, Any]]:
    """Rows of a CSV-with-header or JSON-lines annotation.

    The format is JSON lines when the first non-blank character is ``{``.

    Args:
        text (str): File content.
        path (str): The file, for messages.

    Yields:
        tuple[str, Any]: ``'<path>:<line>'`` and the raw row: a dict for
        CSV (header checked, row length checked later) or the line text
        for JSON lines.
    """
    if text.lstrip().startswith('{'):
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield f'{path}:{lineno}', line
        return
    rows = csv_rows(text)
    names = csv_header(rows, path, REQUIRED_FIELDS)
    for lineno, fields in rows:
        yield f'{path}:{lineno}', (names, fields)


def row_fields(raw: Any, source: str) -> Dict[str, Any]:
    """Field dict of one raw row, with the required fields present.

    Args:
        raw: A JSON line, or ``(header, fields)`` of a CSV row.
        source (str): ``'<file>:<line>'``, for messages.

    Returns:
        dict: Field name to value.
    """
    if isinstance(raw, str):
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as err:
            raise DataEntryError(f'{source}: invalid JSON ({err})') from None
        if not isinstance(row, dict):
            raise DataEntryError(f'{source}: expected a JSON object')
    else:
        row = row_dict(*raw, source)
    for key in REQUIRED_FIELDS:
        if row.get(key) in (None, ''):
            raise DataEntryError(f'{source}: missing required field {key!r}')
    return row


def optional_field(row: Dict[str, Any], key: str) -> Optional[str]:
    """``row[key]`` as a stripped string, or None when absent or empty."""
    value = row.get(key)
    text = '' if value is None else str(value).strip()
    return text or None


@DATASETS.register_module()
class MaskedFERDataset(MaskedFERBaseDataset):
    """Masked-FER dataset from an annotation file: bring your own data.

    The annotation is either CSV with a header or JSON lines (one object per
    line), with the fields:

    - ``img_path``: image path relative to ``data_root`` (paths resolving
      outside ``data_root`` are refused);
    - ``label``: class index or class name of
      :data:`~mmsde.datasets.classes.FER_CLASSES`;
    - ``masked``: ``0``/``1``/``true``/``false``;
    - ``pair_id`` (optional): shared by the non-masked and masked image of a
      pair; defaults to the file stem, so ``plain/x.jpg`` and
      ``masked/x.jpg`` pair up like MSD-E;
    - ``subject`` (optional): person identity for subject-disjoint folds;
      defaults to ``pair_id``;
    - ``split`` (optional): native split name, used with ``fold=None``.

    Example CSV: ::

        img_path,label,masked,subject,pair_id
        plain/s01_a.jpg,Happiness,0,s01,s01_a
        masked/s01_a.jpg,3,1,s01,s01_a

    Args:
        data_root (str): Root of the images.
        ann_file (str): Annotation file, relative to ``data_root``.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
            Defaults to ``'train'``.
        fold (int, optional): Test fold of subject-disjoint folds, or None
            to use the ``split`` field. Defaults to None.
        num_folds (int): Number of folds. Defaults to 10.
        val_ratio (float): Fraction of non-test subjects held out as
            ``'val'``. Defaults to 0.
        views (str): ``'non_masked'``, ``'masked'``, ``'both'`` or
            ``'paired'``. Defaults to ``'both'``.
        on_error (str): ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`
            (``data_prefix`` moves the image root below ``data_root``).
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 fold: Optional[int] = None,
                 **kwargs):
        super().__init__(
            data_root=data_root, ann_file=ann_file, fold=fold, **kwargs)

    def load_records(self) -> List[FERRecord]:
        """One record per annotation row.

        Returns:
            list[FERRecord]: All records of the dataset.
        """
        rows = annotation_rows(self._read_ann_text(), self.ann_file)
        return self._guard(rows, self._parse_row)

    def _parse_row(self, item: Tuple[str, Any]) -> List[FERRecord]:
        """Record of one annotation row ``(source, raw row)``."""
        source, raw = item
        row = row_fields(raw, source)
        rel_path = str(row['img_path']).strip()
        pair_id = optional_field(row, 'pair_id') or osp.splitext(
            osp.basename(rel_path))[0]
        return [
            FERRecord(
                img_path=self.backend.join_path(self.img_prefix, rel_path),
                gt_label=parse_label(row['label'], self.CLASSES, source),
                masked=parse_masked(row['masked'], source),
                subject=optional_field(row, 'subject') or pair_id,
                pair_id=pair_id,
                split=optional_field(row, 'split'),
                source=source)
        ]
