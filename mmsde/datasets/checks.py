"""Checks of masked-FER dataset arguments, labels and image files.

Image files are verified once per process: a file whose size and
modification time are unchanged since it last passed is not opened again,
so the train, validation and test builds of a run (and the folds of a
k-fold run) read each image's bytes once.
"""
import io
import os
import os.path as osp
import posixpath
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.fileio import LocalBackend
from PIL import Image

from .folds import SPLITS, check_fold_args

#: Resolved path -> (size, mtime_ns) of local images that passed the check.
_VERIFIED: Dict[str, Tuple[int, int]] = {}


class DataEntryError(ValueError):
    """A bad annotation entry or image; the message says where it is."""


def parse_index(text: str) -> Optional[int]:
    """``text`` as a non-negative integer if it is ASCII digits only, else
    None (``str.isdigit`` also accepts e.g. ``'²'``, which ``int`` refuses).
    """
    return int(text) if text.isascii() and text.isdigit() else None


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise ``ValueError`` naming ``name`` if ``value`` is not a choice."""
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, '
                         f'got {value!r}')


def check_min_ints(*args: Tuple[str, object, int]) -> None:
    """Each ``(name, value, low)`` must be an integer >= ``low``.

    Raises:
        ValueError: Naming the first argument that is not.
    """
    for name, value, low in args:
        if int(value) != value or value < low:
            raise ValueError(f'{name} must be an integer >= {low}, '
                             f'got {value!r}.')


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


def check_label(label, num_classes: int, img_path: str, source: str) -> None:
    """Raise :class:`DataEntryError` if ``label`` is not a class index."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
            or not 0 <= label < num_classes:
        raise DataEntryError(
            f'{source}: label {label!r} of {img_path} is not a class '
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
    stamp = _file_stamp(resolved) if local else None
    if stamp is not None and _VERIFIED.get(resolved) == stamp:
        return
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
    if stamp is not None:
        _VERIFIED[resolved] = stamp


def _file_stamp(path: str) -> Optional[Tuple[int, int]]:
    """``(size, mtime_ns)`` of a file, or None if it cannot be stat'ed."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


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
