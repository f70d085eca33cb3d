"""Tiny datasets in each real on-disk format, written into ``tmp_path``."""
import gc
import io
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable, List, Sequence, Tuple

import numpy as np
import pytest
from mmengine.logging import MMLogger
from PIL import Image


def png_bytes(value: int = 0) -> bytes:
    """A 4x4 PNG of one grey value."""
    buf = io.BytesIO()
    Image.new('RGB', (4, 4), (value, value, value)).save(buf, 'PNG')
    return buf.getvalue()


PNG = png_bytes()


def msde_names(num_subjects: int = 20,
               num_labels: int = 7) -> List[Tuple[str, str, int]]:
    """``(file name, subject, label)`` for one image per subject and label.

    Subjects are '1'..'num_subjects' (not zero padded: natural sort must put
    '10' after '9').
    """
    return [(f'{s}_{label}_a.png', str(s), label)
            for s in range(1, num_subjects + 1)
            for label in range(num_labels)]


def write_msde(root: Path, names: Iterable[str],
               pair_lines: Sequence[str] = None) -> Path:
    """Write the MSD-E layout: ``MSD-E/``, ``MSD-ME/`` and the pair list.

    Args:
        root (Path): Dataset root.
        names (Iterable[str]): File names written to both folders.
        pair_lines (Sequence[str], optional): Lines of Paired_files.txt;
            defaults to ``'<name>,<extra column>'`` per name.
    """
    names = list(names)
    for folder in ('MSD-E', 'MSD-ME'):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            (root / folder / name).write_bytes(PNG)
    if pair_lines is None:
        pair_lines = [f'{name},ignored' for name in names]
    (root / 'Paired_files.txt').write_text('\n'.join(pair_lines) + '\n')
    return root


@pytest.fixture(scope='session')
def msde_root(tmp_path_factory) -> Path:
    """MSD-E with 20 subjects x 7 labels, one pair each (280 images).

    Shared by the tests of a session: do not modify it; use
    ``fresh_msde_root`` to break things.
    """
    root = tmp_path_factory.mktemp('shared') / 'msde'
    return write_msde(root, [n for n, _, _ in msde_names()])


@pytest.fixture
def fresh_msde_root(tmp_path: Path) -> Path:
    """A private copy of ``msde_root``'s content, free to modify."""
    return write_msde(tmp_path / 'msde', [n for n, _, _ in msde_names()])


def write_rafdb(root: Path, entries: Sequence[Tuple[str, int]],
                masked_dir: str = None) -> Path:
    """Write RAF-DB basic: label list and aligned images (+ masked copies).

    Args:
        root (Path): Dataset root.
        entries (Sequence[tuple]): ``(name, raw label 1..7)``, e.g.
            ``('train_00001.jpg', 5)``.
        masked_dir (str, optional): Also write masked copies there.
    """
    (root / 'EmoLabel').mkdir(parents=True)
    lines = [f'{name} {label}' for name, label in entries]
    (root / 'EmoLabel/list_patition_label.txt').write_text(
        '\n'.join(lines) + '\n')
    folders = ['Image/aligned'] + ([masked_dir] if masked_dir else [])
    for folder in folders:
        (root / folder).mkdir(parents=True)
        for name, _ in entries:
            stem = name.rsplit('.', 1)[0]
            (root / folder / f'{stem}_aligned.jpg').write_bytes(PNG)
    return root


def fer2013_pixels(seed: int) -> np.ndarray:
    """A deterministic 48x48 uint8 image."""
    return np.random.default_rng(seed).integers(0, 256, (48, 48), np.uint8)


def write_fer2013(root: Path, rows: Sequence[Tuple[str, str, str]]) -> Path:
    """Write ``fer2013.csv`` from ``(emotion, pixels, Usage)`` rows."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ['emotion,pixels,Usage'] + [','.join(r) for r in rows]
    (root / 'fer2013.csv').write_text('\n'.join(lines) + '\n')
    return root


def pixel_text(img: np.ndarray) -> str:
    """FER2013 pixel string of an image."""
    return ' '.join(str(v) for v in img.ravel())


class _ListHandler(logging.Handler):

    def __init__(self, messages: List[str]):
        super().__init__(level=logging.DEBUG)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def mm_log() -> Callable[[], List[str]]:
    """Messages logged through ``MMLogger.get_current_instance()``."""
    messages: List[str] = []
    logger = MMLogger.get_current_instance()
    handler = _ListHandler(messages)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


@pytest.fixture
def fer_data() -> SimpleNamespace:
    """The writers of this module (test files do not import conftest)."""
    return SimpleNamespace(
        PNG=PNG,
        png_bytes=png_bytes,
        msde_names=msde_names,
        write_msde=write_msde,
        write_rafdb=write_rafdb,
        write_fer2013=write_fer2013,
        fer2013_pixels=fer2013_pixels,
        pixel_text=pixel_text)


@pytest.fixture(scope='session', autouse=True)
def _fast_gc():
    """Move import-time objects (torch, mmpretrain) out of the collector's
    view: MMEngine calls ``gc.collect()`` when serialising each dataset, which
    otherwise costs ~0.2 s per build."""
    gc.freeze()
    yield
    gc.unfreeze()
