"""The bad-input catalogue (docs/en/user_guides/reliability.md, "Bad
input"): each broken input a user can hand mmsde, and the error they get,
raised while the dataset or model is built, i.e. before the first training
step. One entry per row of that table."""
import io
import os
import re
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS
from PIL import Image

import mmsde  # noqa: F401
from mmsde.datasets import MSDE, MaskedFERDataset
from mmsde.models.converters import (CheckpointMismatchError,
                                     load_state_dict_exactly)

NAMES = [f'{s}_{label}_a.png' for s in (1, 2, 3, 4) for label in range(7)]


def png(root: Path) -> bytes:
    """The bytes of a valid image of the dataset."""
    return (root / 'MSD-E' / '1_0_a.png').read_bytes()


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (32, 32, 3), np.uint8)
    Image.fromarray(noise).save(buf, 'JPEG', quality=90)
    return buf.getvalue()


def msde(root: Path, **kwargs) -> MSDE:
    return MSDE(str(root), **{'split': 'all', 'fold': None, **kwargs})


def annotation(root: Path, rows, **kwargs) -> MaskedFERDataset:
    lines = ['img_path,gt_label,masked,subject,pair_id'] + rows
    (root / 'ann.csv').write_text('\n'.join(lines) + '\n')
    return MaskedFERDataset(str(root), 'ann.csv',
                            **{'split': 'all', 'fold': None, **kwargs})


def missing_image(root):
    (root / 'MSD-ME' / '3_4_a.png').unlink()
    msde(root)


def zero_byte_image(root):
    (root / 'MSD-E' / '2_5_a.png').write_bytes(b'')
    msde(root)


def truncated_jpeg(root):
    data = jpeg_bytes()
    (root / 'a.jpg').write_bytes(data)
    (root / 'b.jpg').write_bytes(data[:len(data) // 2])
    annotation(root, ['a.jpg,0,0,s1,p1', 'b.jpg,1,0,s2,p2'])


def png_with_jpg_extension(root):
    (root / 'png.jpg').write_bytes(png(root))
    ds = annotation(root, ['png.jpg,0,0,s1,p1'])
    assert len(ds) == 1  # decoders read the content: accepted, no error


def unreadable_file(root):
    target = root / 'MSD-E' / '1_1_a.png'
    target.unlink()
    target.mkdir()  # a folder where an image should be
    msde(root)


def bad_file_name(root):
    with open(root / 'Paired_files.txt', 'a') as f:
        f.write('photo.png\n')
    msde(root)


def unknown_label(root):
    (root / 'x.png').write_bytes(png(root))
    annotation(root, ['x.png,Contempt,0,s1,p1'])


def half_pair(root):
    (root / 'nm.png').write_bytes(png(root))
    (root / 'm.png').write_bytes(png(root))
    (root / 'lone.png').write_bytes(png(root))
    annotation(root, ['nm.png,0,0,s1,p1', 'm.png,0,1,s1,p1',
                      'lone.png,2,0,s2,p2'], views='paired')


def duplicate_entry(root):
    with open(root / 'Paired_files.txt', 'a') as f:
        f.write('2_3_a.png\n')
    msde(root)


def empty_fold(root):
    msde(root, split='test', fold=0, num_folds=5)


def fold_out_of_range(root):
    msde(root, split='test', fold=4, num_folds=4)


def path_escaping_root(root):
    (root.parent / 'secret.png').write_bytes(png(root))
    annotation(root, ['../secret.png,0,0,s1,p1'])


def symlink_escaping_root(root):
    outside = root.parent / 'outside.png'
    outside.write_bytes(png(root))
    link = root / 'MSD-E' / '1_0_a.png'
    link.unlink()
    link.symlink_to(outside)
    msde(root)


def teacher_checkpoint_mismatch(root):
    student = torch.nn.Linear(512, 7)
    ckpt = root / 'teacher.pth'
    torch.save({'state_dict': {'weight': torch.zeros(5, 512)}}, ckpt)
    load_state_dict_exactly(student, str(ckpt), 'teacher config t.py')


def misspelt_config_key(root):
    DATASETS.build(dict(type='MSDE', data_root=str(root), split='all',
                        veiws='both'))


class Entry(NamedTuple):
    name: str
    make: Callable[[Path], None]
    error: type
    message: str  # regex; {root} is the dataset root


CATALOGUE = [
    Entry('missing image', missing_image, ValueError,
          r'Paired_files.txt:\d+: image not found: {root}/MSD-ME/3_4_a.png'),
    Entry('zero-byte image', zero_byte_image, ValueError,
          r'Paired_files.txt:\d+: cannot read image {root}/MSD-E/2_5_a.png '
          r'\(UnidentifiedImageError'),
    Entry('truncated JPEG', truncated_jpeg, ValueError,
          r'ann.csv:3: cannot read image {root}/b.jpg \(OSError: truncated '
          r'JPEG'),
    Entry('PNG with a .jpg extension', png_with_jpg_extension, None, ''),
    Entry('unreadable file (a folder)', unreadable_file, ValueError,
          r'Paired_files.txt:\d+: cannot read image {root}/MSD-E/1_1_a.png '
          r'\(IsADirectoryError'),
    Entry('bad file name', bad_file_name, ValueError,
          r"Paired_files.txt:29: file name 'photo.png' does not match the "
          r"MSD-E pattern '<subject>_<label>_<rest>'"),
    Entry('unknown label', unknown_label, ValueError,
          r"ann.csv:2: x.png: label 'Contempt' is neither a class index "
          r'0..6 nor a class name'),
    Entry('half pair', half_pair, ValueError,
          r"ann.csv:4: pair 'p2' has no masked image \(its other image is "
          r'{root}/lone.png\)'),
    Entry('duplicate entry', duplicate_entry, ValueError,
          r'Paired_files.txt:29: {root}/MSD-E/2_3_a.png is listed twice '
          r'\(first at .*Paired_files.txt:\d+\)'),
    Entry('empty fold', empty_fold, ValueError,
          r'MSDE: num_folds=5 is larger than the number of subjects \(4\)'),
    Entry('fold out of range', fold_out_of_range, ValueError,
          r'fold must be an integer in \[0, 3\]'),
    Entry('path escaping the root through ..', path_escaping_root,
          ValueError, r'ann.csv:2: image {root}/../secret.png resolves to '
          r'.*secret.png, outside the dataset root'),
    Entry('path escaping the root through a symlink', symlink_escaping_root,
          ValueError, r'image {root}/MSD-E/1_0_a.png resolves to '
          r'.*outside.png, outside the dataset root'),
    Entry('teacher checkpoint that does not fit', teacher_checkpoint_mismatch,
          CheckpointMismatchError, r'checkpoint .*teacher.pth does not fit '
          r"the teacher config t.py:\nmissing keys \(1\): \['bias'\]\nshape "
          r"mismatches \(1\): \['weight: checkpoint \(5, 512\) vs model "
          r"\(7, 512\)'\]"),
    Entry('config key misspelt', misspelt_config_key, TypeError,
          r"unexpected keyword argument 'veiws'"),
]


@pytest.mark.parametrize('entry', CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_bad_input_gives_a_clear_error_before_training(entry, tmp_path,
                                                       fer_data):
    root = fer_data.write_msde(tmp_path / 'data', NAMES)
    if entry.error is None:
        entry.make(root)
        return
    with pytest.raises(entry.error) as err:
        entry.make(root)
    pattern = entry.message.replace('{root}', re.escape(str(root)))
    assert re.search(pattern, str(err.value)), str(err.value)


def test_docs_list_every_catalogue_entry():
    page = (Path(__file__).parents[2] / 'docs/en/user_guides/reliability.md'
            ).read_text()
    table = page.split('## Bad input', 1)[1].split('\n#', 1)[0]
    for entry in CATALOGUE:
        assert f'| {entry.name} |' in table, entry.name
    assert os.sep == '/'  # the messages above use POSIX paths
