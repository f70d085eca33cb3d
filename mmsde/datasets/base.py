"""Shared base of the masked-FER datasets (MSD-E, RAF-DB, FER2013, custom).

A subclass only reads its own annotation format into :class:`FERRecord`
objects (:meth:`MaskedFERBaseDataset.load_records`). The base then, for every
dataset alike:

1. validates labels and refuses duplicate entries;
2. selects the split: subject-disjoint folds (``fold``/``num_folds``/
   ``val_ratio``, see :mod:`mmsde.datasets.folds`) or, with ``fold=None``,
   the dataset's native split;
3. selects the views (``'non_masked'``, ``'masked'``, ``'both'`` or
   ``'paired'``);
4. checks once that every selected image stays inside ``data_root`` (after
   ``..`` and symlinks) and opens (``PIL.Image.verify``);
5. joins pairs for ``views='paired'`` and emits the data contract dicts.

With ``on_error='raise'`` (default) the first bad entry raises an error that
names the annotation file and line, the image path or the pair. With
``on_error='skip'`` bad entries are skipped, and each one is logged with its
reason, followed by the count: nothing is dropped silently.
"""
import csv
import io
import os.path as osp
import posixpath
from dataclasses import dataclass
from typing import (Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple, TypeVar, Union)

import numpy as np
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from PIL import Image

from .classes import FER_CLASSES
from .folds import SPLITS, check_fold_args, split_subjects

VIEWS = ('non_masked', 'masked', 'both', 'paired')
ON_ERROR = ('raise', 'skip')

T = TypeVar('T')
R = TypeVar('R')


class DataEntryError(ValueError):
    """A bad annotation entry or image; the message says where it is."""


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


class MaskedFERBaseDataset(BaseDataset):
    """Base of the masked-FER datasets: folds, views and checks.

    Subclasses implement :meth:`load_records`. Each sample of the resulting
    data list follows the mmsde data contract: ``img_path``, ``gt_label``,
    ``masked``, ``subject``, ``pair_id``; for ``views='paired'``,
    ``img_path=[non_masked, masked]`` and ``masked=(False, True)``.

    Args:
        data_root (str): Root folder of the dataset; no image may resolve
            outside it.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
            Defaults to ``'train'``.
        fold (int, optional): Test fold of the subject-disjoint
            cross-validation. ``None`` disables folds: ``split`` then
            selects the dataset's native split. Defaults to 0.
        num_folds (int): Number of folds. Defaults to 10.
        val_ratio (float): Fraction of the non-test subjects of a fold held
            out as ``'val'``. Defaults to 0.
        views (str): ``'non_masked'``, ``'masked'``, ``'both'`` (each image
            a sample) or ``'paired'`` (each pair a sample).
            Defaults to ``'both'``.
        ann_file (str): Annotation file, relative to ``data_root``.
        on_error (str): ``'raise'`` or ``'skip'`` (log and skip bad
            entries). Defaults to ``'raise'``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
            ``test_mode`` defaults to ``split in ('val', 'test')``.
    """

    METAINFO = {'classes': FER_CLASSES}

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 fold: Optional[int] = 0,
                 num_folds: int = 10,
                 val_ratio: float = 0.0,
                 views: str = 'both',
                 ann_file: str = '',
                 on_error: str = 'raise',
                 **kwargs):
        name = type(self).__name__
        if not data_root:
            raise ValueError(f'{name}: data_root is required')
        check_choice(f'{name}: views', views, VIEWS)
        check_choice(f'{name}: on_error', on_error, ON_ERROR)
        check_split_args(split, fold, num_folds, val_ratio)
        self.split, self.fold, self.num_folds = split, fold, num_folds
        self.val_ratio, self.views, self.on_error = val_ratio, views, on_error
        self.backend = get_file_backend(data_root, enable_singleton=True)
        if isinstance(self.backend, LocalBackend):
            data_root = osp.abspath(osp.expanduser(data_root))
        kwargs.setdefault('test_mode', split in ('val', 'test'))
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def load_records(self) -> List[FERRecord]:
        """Read every image of the dataset, all splits.

        Use :meth:`_guard` around per-line parsing so that ``on_error``
        applies to malformed lines.

        Returns:
            list[FERRecord]: One record per image.
        """
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        """Load records, select split and views, check, build the samples.

        Returns:
            list[dict]: Samples following the mmsde data contract.
        """
        self._skipped = 0
        records = self._validated(self.load_records())
        if not records:
            raise ValueError(f'{type(self).__name__}: {self.ann_file} '
                             'lists no usable images')
        records = self._select_split(records)
        records = [r for r in records if in_view(r, self.views)]
        root = resolve_path(self.data_root, self.backend)
        records = self._guard(records, lambda r: self._check_image(r, root))
        if self.views == 'paired':
            infos = self._guard(group_pairs(records), make_pair)
        else:
            infos = [single_info(r) for r in records]
        self._report(infos)
        return infos

    def _guard(self, items: Iterable[T],
               fn: Callable[[T], List[R]]) -> List[R]:
        """Apply ``fn`` to each item; bad items raise or are logged.

        Args:
            items (Iterable): Entries (lines, records or pairs).
            fn (Callable): Returns a list of results for one entry, or
                raises :class:`DataEntryError`.

        Returns:
            list: The concatenated results of the good entries.
        """
        results: List[R] = []
        for item in items:
            try:
                results.extend(fn(item))
            except DataEntryError as err:
                if self.on_error == 'raise':
                    raise
                self._skipped += 1
                MMLogger.get_current_instance().warning(
                    f'{type(self).__name__}: skipped {err}')
        return results

    def _read_ann_text(self) -> str:
        """Text of ``self.ann_file``, with a clear error if it is missing."""
        if not self.backend.exists(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {self.ann_file} not '
                f'found (data_root={self.data_root})')
        return self.backend.get_text(self.ann_file).lstrip('\ufeff')

    def _validated(self, records: List[FERRecord]) -> List[FERRecord]:
        """Check labels and refuse an image listed twice."""
        first_seen: Dict[str, str] = {}
        num_classes = len(self.CLASSES)

        def check(rec: FERRecord) -> List[FERRecord]:
            check_label(rec, num_classes)
            if rec.img_path in first_seen:
                raise DataEntryError(
                    f'{rec.source}: {rec.img_path} is listed twice (first at '
                    f'{first_seen[rec.img_path]})')
            first_seen[rec.img_path] = rec.source
            return [rec]

        return self._guard(records, check)

    def _select_split(self, records: List[FERRecord]) -> List[FERRecord]:
        """Keep the records of the requested fold split or native split."""
        if self.fold is None:
            return select_native_split(records, self.split,
                                       type(self).__name__)
        try:
            subjects = split_subjects([r.subject for r in records],
                                      self.fold, self.num_folds, self.split,
                                      self.val_ratio)
        except ValueError as err:
            raise ValueError(f'{type(self).__name__}: {err}') from None
        return [r for r in records if r.subject in subjects]

    def _check_image(self, rec: FERRecord, root: str) -> List[FERRecord]:
        """Check one image file (records holding pixels pass)."""
        if rec.img is None:
            check_image(rec.img_path, root, self.backend, rec.source)
        return [rec]

    def _report(self, infos: List[dict]) -> None:
        """Raise on an empty selection; log the size and skipped count."""
        name = type(self).__name__
        logger = MMLogger.get_current_instance()
        if self._skipped:
            logger.warning(f'{name}: {self._skipped} bad entries skipped '
                           "(on_error='skip'), each logged above")
        if not infos:
            raise ValueError(
                f'{name}: no samples for {self._selection()} in '
                f'{self.data_root}. Options: split in {SPLITS}, fold in '
                f'0..num_folds-1 or None (native split), views in {VIEWS}')
        subjects = {info['subject'] for info in infos}
        logger.info(f'{name} {self._selection()}: {len(infos)} samples of '
                    f'{len(subjects)} subjects')

    def _selection(self) -> str:
        """The split arguments, for messages."""
        return (f'split={self.split!r}, fold={self.fold}, '
                f'num_folds={self.num_folds}, views={self.views!r}')

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Root of dataset: \t{self.data_root}',
            f'Annotation file: \t{self.ann_file}',
            f'Selection: \t{self._selection()}',
        ]


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise ``ValueError`` naming ``name`` if ``value`` is not a choice."""
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, '
                         f'got {value!r}')


def check_split_args(split: str, fold: Optional[int], num_folds: int,
                     val_ratio: float) -> None:
    """Check split/fold arguments before any data is read.

    Args:
        split (str): Requested split.
        fold (int, optional): Test fold, or None for the native split.
        num_folds (int): Number of folds.
        val_ratio (float): Fraction of non-test subjects held out.
    """
    if fold is not None:
        check_fold_args(fold, num_folds, split, val_ratio)
        return
    check_choice('split', split, SPLITS)
    if val_ratio:
        raise ValueError(
            f'val_ratio={val_ratio} applies to subject folds only: set fold '
            "(0..num_folds-1), or use the dataset's native 'val' split "
            'with fold=None')


def check_label(rec: FERRecord, num_classes: int) -> None:
    """Raise :class:`DataEntryError` if the label is not a class index."""
    label = rec.gt_label
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
            or not 0 <= label < num_classes:
        raise DataEntryError(
            f'{rec.source}: label {label!r} of {rec.img_path} is not a class '
            f'index in [0, {num_classes - 1}]')


def resolve_path(path: str, backend) -> str:
    """Resolve ``..`` and, for local files, symlinks.

    Args:
        path (str): A path or URI.
        backend: The MMEngine file backend of ``path``.

    Returns:
        str: ``os.path.realpath`` for local files, else the normalised path.
    """
    if isinstance(backend, LocalBackend):
        return osp.realpath(path)
    return posixpath.normpath(path)


def check_image(path: str, root: str, backend, source: str) -> None:
    """Refuse an image outside ``root`` or one that does not open.

    Args:
        path (str): Image path.
        root (str): Resolved dataset root (:func:`resolve_path`); the image
            must resolve inside it, after ``..`` and (for local files)
            symlinks.
        backend: The MMEngine file backend of the dataset.
        source (str): Annotation location, for the message.

    Raises:
        DataEntryError: Naming the path and the reason.
    """
    local = isinstance(backend, LocalBackend)
    resolved = resolve_path(path, backend)
    if resolved != root and not resolved.startswith(root.rstrip('/') + '/'):
        raise DataEntryError(
            f'{source}: image {path} resolves to {resolved}, outside the '
            f'dataset root {root}; refusing it')
    try:
        fileobj = resolved if local else io.BytesIO(backend.get(path))
        with Image.open(fileobj) as img:
            img.verify()
            if img.format == 'JPEG' and not _has_jpeg_end(fileobj):
                raise OSError('truncated JPEG: no end-of-image marker')
    except FileNotFoundError:
        raise DataEntryError(f'{source}: image not found: {path}') from None
    except Exception as err:  # PIL raises many types for broken files
        raise DataEntryError(f'{source}: cannot read image {path} '
                             f'({type(err).__name__}: {err})') from None


def _has_jpeg_end(fileobj: Union[str, io.BytesIO]) -> bool:
    """Whether a JPEG's last 4 KiB hold the end-of-image marker (``FFD9``).

    PIL's ``verify`` does not decode JPEG data, so a truncated file passes
    it; entropy-coded data cannot contain ``FFD9``, so its absence near the
    end means the file was cut.
    """
    if isinstance(fileobj, str):
        with open(fileobj, 'rb') as f:
            f.seek(0, io.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            tail = f.read()
    else:
        tail = fileobj.getvalue()[-4096:]
    return b'\xff\xd9' in tail


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
    return [
        dict(
            img_path=[nm.img_path, m.img_path],
            gt_label=int(nm.gt_label),
            masked=(False, True),
            subject=nm.subject,
            pair_id=pair_id)
    ]


def csv_rows(text: str) -> Iterator[Tuple[int, List[str]]]:
    """Parse CSV text, skipping blank rows.

    Args:
        text (str): CSV content.

    Yields:
        tuple[int, list[str]]: Line number (1-based) and fields of each row.
    """
    reader = csv.reader(io.StringIO(text))
    for fields in reader:
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
