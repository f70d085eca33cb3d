"""Masked-FER annotations: one format, one reader.

The format of users' own data is OpenMMLab 2.0's, which MMEngine's
``BaseDataset`` documents: a JSON object with ``metainfo`` and
``data_list``, one dict per image::

    {"metainfo": {"classes": ["Surprise", ..., "Neutral"]},
     "data_list": [
        {"img_path": "plain/s01_a.jpg", "gt_label": 3, "masked": false,
         "subject": "s01", "pair_id": "s01_a", "split": "train"},
        ...]}

CSV with a header row and JSON lines (one such dict per line) are inputs
that read into the same entries (``tools/dataset_converters/
annotation_to_json.py`` converts them once). Fields: ``img_path``,
``gt_label`` (class index or class name) and ``masked`` (``0``/``1``/
``true``/``false``) are required by datasets; ``subject``, ``pair_id`` and
``split`` are optional. Every error names the file and the line (or the
``data_list`` index).
"""
import csv
import io
import json
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .checks import DataEntryError, parse_index

REQUIRED_FIELDS = ('img_path', 'gt_label', 'masked')
OPTIONAL_FIELDS = ('subject', 'pair_id', 'split')
MASKED_VALUES = {'1': True, 'true': True, '0': False, 'false': False}

#: ``(source, raw entry)``: ``'<file>:<line>'`` or ``'<file>:data_list[i]'``
#: and a ``data_list`` item, a :class:`JsonLine` or a CSV row
#: ``(header, fields)``.
RawEntry = Tuple[str, Any]


class JsonLine(str):
    """One line of a JSON-lines annotation, parsed by :func:`entry_fields`."""


def parse_label(value: Any, classes: Sequence[str], source: str) -> int:
    """Parse a label given as a class index or a class name (any case).

    Args:
        value: The field value, e.g. ``3``, ``'3'`` or ``'Happiness'``.
        classes (Sequence[str]): Class names; their index is the label.
        source (str): ``'<file>:<line>'``, for the message.

    Returns:
        int: The class index.

    Raises:
        DataEntryError: For anything else, naming ``source``.
    """
    text = str(value).strip()
    index = parse_index(text)
    if index is not None and index < len(classes):
        return index
    by_name = {name.lower(): i for i, name in enumerate(classes)}
    if text.lower() not in by_name:
        raise DataEntryError(
            f'{source}: label {value!r} is neither a class index 0..'
            f'{len(classes) - 1} nor a class name {tuple(classes)}')
    return by_name[text.lower()]


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


def read_annotation(text: str,
                    path: str,
                    required: Sequence[str] = REQUIRED_FIELDS
                    ) -> Tuple[dict, List[RawEntry]]:
    """Split an annotation file into its metainfo and raw entries.

    OpenMMLab 2.0 JSON is recognised by its ``data_list``; otherwise a text
    whose first non-blank character is ``{`` is JSON lines, anything else
    CSV with a header. Entries are parsed later, one by one, by
    :func:`parse_entry`, so that a dataset's ``on_error`` applies to each.

    Args:
        text (str): File content.
        path (str): The file, for messages.
        required (Sequence[str]): Columns a CSV header must have.

    Returns:
        tuple: ``(metainfo, entries)``; ``metainfo`` is empty for CSV and
        JSON lines.
    """
    if not text.lstrip().startswith('{'):
        rows = csv_rows(text, path)
        names = csv_header(rows, path, required)
        return {}, [(f'{path}:{n}', (names, fields)) for n, fields in rows]
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # several objects: JSON lines
    if isinstance(whole, dict) and 'data_list' in whole:
        metainfo, data_list = whole.get('metainfo', {}), whole['data_list']
        if not isinstance(metainfo, dict) or not isinstance(data_list, list):
            raise ValueError(f'{path}: metainfo must be an object and '
                             'data_list a list (OpenMMLab 2.0 format)')
        return metainfo, [(f'{path}:data_list[{i}]', entry)
                          for i, entry in enumerate(data_list)]
    lines = enumerate(text.splitlines(), start=1)
    return {}, [(f'{path}:{n}', JsonLine(line)) for n, line in lines
                if line.strip()]


def check_metainfo(metainfo: dict, classes: Sequence[str], path: str) -> None:
    """Refuse an annotation whose ``metainfo.classes`` differ from ours."""
    given = metainfo.get('classes')
    if given is not None and not isinstance(given, (list, tuple)):
        raise ValueError(f'{path}: metainfo classes must be a list of class '
                         f'names, got {given!r}')
    if given is not None and [str(c) for c in given] != list(classes):
        raise ValueError(f'{path}: metainfo classes {list(given)} differ from '
                         f'the dataset classes {list(classes)}; relabel to '
                         'this order')


def entry_fields(raw: Any, source: str,
                 required: Sequence[str]) -> Dict[str, Any]:
    """Field dict of one raw entry, with the required fields present.

    Args:
        raw: A dict, a JSON line, or ``(header, fields)`` of a CSV row.
        source (str): ``'<file>:<line>'``, for messages.
        required (Sequence[str]): Fields that must be non-empty.

    Returns:
        dict: Field name to value.
    """
    if isinstance(raw, JsonLine):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as err:
            raise DataEntryError(f'{source}: invalid JSON ({err})') from None
    if isinstance(raw, tuple):
        row = row_dict(*raw, source)
    elif isinstance(raw, dict):
        row = raw
    else:
        raise DataEntryError(f'{source}: expected an object with fields '
                             f'{list(REQUIRED_FIELDS + OPTIONAL_FIELDS)}')
    for key in required:
        if row.get(key) in (None, ''):
            raise DataEntryError(f'{source}: missing required field {key!r}')
    return row


def optional_field(row: Dict[str, Any], key: str) -> Optional[str]:
    """``row[key]`` as a stripped string, or None when absent or empty."""
    value = row.get(key)
    text = '' if value is None else str(value).strip()
    return text or None


def parse_entry(raw: Any,
                source: str,
                classes: Sequence[str],
                required: Sequence[str] = REQUIRED_FIELDS) -> dict:
    """One annotation entry as typed fields.

    Args:
        raw: A raw entry of :func:`read_annotation`.
        source (str): Its location, for messages.
        classes (Sequence[str]): Class names, for ``gt_label``.
        required (Sequence[str]): Fields that must be given.

    Returns:
        dict: ``img_path`` (str), ``gt_label`` (int), ``masked`` (bool, or
        None when absent), ``subject``, ``pair_id`` and ``split`` (str or
        None).
    """
    row = entry_fields(raw, source, required)
    img_path = str(row['img_path']).strip()
    where = f'{source}: {img_path}'
    masked = optional_field(row, 'masked')
    entry = dict(
        img_path=img_path,
        gt_label=parse_label(row['gt_label'], classes, where),
        masked=None if masked is None else parse_masked(masked, where))
    entry.update({key: optional_field(row, key) for key in OPTIONAL_FIELDS})
    return entry


def to_openmmlab_format(text: str, path: str, classes: Sequence[str]) -> dict:
    """Convert an annotation (CSV, JSON lines or 2.0 JSON) to 2.0 JSON.

    Every entry is checked; the first bad one raises, naming its line.

    Args:
        text (str): File content.
        path (str): The file, for messages.
        classes (Sequence[str]): Class names of the labels.

    Returns:
        dict: ``{'metainfo': {'classes': [...]}, 'data_list': [...]}`` with
        labels as indices and empty optional fields left out.
    """
    metainfo, raw_entries = read_annotation(text, path)
    check_metainfo(metainfo, classes, path)
    data_list = []
    for source, raw in raw_entries:
        entry = parse_entry(raw, source, classes)
        data_list.append({k: v for k, v in entry.items() if v is not None})
    if not data_list:
        raise ValueError(f'{path} lists no images')
    return dict(metainfo=dict(classes=list(classes)), data_list=data_list)


def csv_rows(text: str, path: str) -> Iterator[Tuple[int, List[str]]]:
    """Parse CSV text, skipping blank rows.

    Args:
        text (str): CSV content.
        path (str): The file, for messages.

    Yields:
        tuple[int, list[str]]: Line number (1-based) and fields of each row.

    Raises:
        DataEntryError: Text the csv module cannot split (e.g. a field over
            its size limit), naming the file and line.
    """
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataEntryError(
                f'{path}:{reader.line_num}: not valid CSV ({err})') from None
        if any(field.strip() for field in fields):
            yield reader.line_num, fields


def csv_header(rows: Iterator[Tuple[int, List[str]]], path: str,
               required: Sequence[str]) -> List[str]:
    """Read the header row of ``rows`` and check the required columns.

    Args:
        rows (Iterator): From :func:`csv_rows`; the header is consumed.
        path (str): The CSV file, for messages.
        required (Sequence[str]): Column names that must be present.

    Returns:
        list[str]: The column names, stripped.
    """
    first = next(rows, None)
    if first is None:
        raise ValueError(f'{path} is empty; expected a header with columns '
                         f'{list(required)}')
    lineno, names = first
    names = [n.strip() for n in names]
    missing = [k for k in required if k not in names]
    if missing:
        raise ValueError(f'{path}:{lineno}: header {names} lacks the '
                         f'column(s) {missing}')
    return names


def row_dict(names: List[str], fields: List[str],
             source: str) -> Dict[str, str]:
    """Zip a CSV row with its header; refuse a wrong field count."""
    if len(fields) != len(names):
        raise DataEntryError(f'{source}: {len(fields)} fields, expected '
                             f'{len(names)} ({names})')
    return {k: v.strip() for k, v in zip(names, fields)}
