"""Fixtures shared by the test folders: a tiny synthetic benchmark and a
tiny trained face detector. The end-to-end helpers live in
``e2e_helpers.py`` and ``face_helpers.py``."""
import shutil
from pathlib import Path
from typing import Iterator, Tuple

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: end-to-end test that runs tools in subprocesses '
        '(deselect with -m "not slow")')


@pytest.fixture(scope='module')
def module_tmp_path(tmp_path_factory, request) -> Iterator[Path]:
    """A folder shared by one module's tests (a run they all inspect),
    removed when the module ends unless one of its tests failed. A tiny run
    writes hundreds of MB of checkpoints; CI disks can be nearly full."""
    path = tmp_path_factory.mktemp(request.module.__name__.split('.')[-1])
    failed_before = request.session.testsfailed
    yield path
    if request.session.testsfailed == failed_before:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='session')
def tiny_msde(tmp_path_factory) -> Path:
    """A 10-subject synthetic benchmark in the MSD-E layout (64x64 px),
    with the masked view the synthetic configs read (``second_photo``)."""
    from mmsde.datasets import generate_synthetic_msde
    root = tmp_path_factory.mktemp('tiny_msde')
    generate_synthetic_msde(root, num_subjects=10, img_size=64, seed=0,
                            overwrite=True, masked_view='second_photo')
    return root


@pytest.fixture(scope='session')
def tiny_rafdb(tmp_path_factory, tiny_msde) -> Path:
    """RAF-DB basic's layout (``EmoLabel/``, ``Image/aligned/``) holding 28
    non-masked faces of ``tiny_msde`` (same class order, labels 1..7)."""
    import cv2
    root = tmp_path_factory.mktemp('tiny_rafdb')
    (root / 'EmoLabel').mkdir()
    (root / 'Image' / 'aligned').mkdir(parents=True)
    lines = []
    faces = sorted((tiny_msde / 'MSD-E').glob('*.png'))[:28]
    for k, png in enumerate(faces):
        name = f'{"test" if k % 4 == 0 else "train"}_{k + 1:05d}'
        cv2.imwrite(str(root / 'Image' / 'aligned' / f'{name}_aligned.jpg'),
                    cv2.imread(str(png)))
        lines.append(f'{name}.jpg {int(png.name.split("_")[1]) + 1}')
        masked_copy(tiny_msde, png, root / 'masked' / f'{name}_aligned.jpg')
    (root / 'EmoLabel' / 'list_patition_label.txt').write_text(
        '\n'.join(lines) + '\n')
    return root


def masked_copy(tiny_msde: Path, png: Path, target: Path) -> None:
    """The masked image of a ``tiny_msde`` face, written as ``target``."""
    import cv2
    target.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(target), cv2.imread(str(tiny_msde / 'MSD-ME' / png.name)))


@pytest.fixture(scope='session')
def tiny_affectnet(tmp_path_factory, tiny_msde) -> Path:
    """AffectNet's layout (CSV lists, ``Manually_Annotated_Images/``,
    masked copies in ``masked/``) holding 28 faces of ``tiny_msde``, every
    4th in the validation list, expression codes for its labels."""
    import cv2
    from mmsde.datasets.affectnet import (AFFECTNET_COLUMNS,
                                          AFFECTNET_TO_FER_CLASSES)
    root = tmp_path_factory.mktemp('tiny_affectnet')
    lists = root / 'Manually_Annotated_file_lists'
    lists.mkdir()
    rows = {'training': [], 'validation': []}
    faces = sorted((tiny_msde / 'MSD-E').glob('*.png'))[:28]
    for k, png in enumerate(faces):
        rel = f'{k % 3}/{png.stem}.jpg'
        (root / 'Manually_Annotated_Images' / rel).parent.mkdir(
            parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'Manually_Annotated_Images' / rel),
                    cv2.imread(str(png)))
        masked_copy(tiny_msde, png, root / 'masked' / rel)
        code = AFFECTNET_TO_FER_CLASSES.index(int(png.name.split('_')[1]))
        rows['validation' if k % 4 == 0 else 'training'].append(
            f'{rel},0,0,112,112,,{code},0.0,0.0')
    for name, lines in rows.items():
        (lists / f'{name}.csv').write_text(
            '\n'.join([','.join(AFFECTNET_COLUMNS)] + lines) + '\n')
    return root


@pytest.fixture(scope='session')
def tiny_face_detector(tmp_path_factory) -> Tuple[Path, Path]:
    """``(config_path, checkpoint_path)`` of a tiny RetinaNet trained from
    scratch on generated face scenes (see ``face_helpers``), for
    ``mmdet.apis.init_detector`` (import mmsde first: its checkpoint
    loader). Trained once per session, 30-40 s on 2 busy cores; its
    predictions are boxes, not accurate ones."""
    from face_helpers import train_tiny_face_detector
    return train_tiny_face_detector(
        tmp_path_factory.mktemp('tiny_face_detector'))
