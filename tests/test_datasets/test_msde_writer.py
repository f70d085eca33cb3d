"""Writers of MSD-E's layout: the synthetic set and synthetic masks."""
import hashlib
import json
import runpy
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmsde.datasets.msde_writer import (add_synthetic_masks,
                                        generate_synthetic_msde, pair_name,
                                        read_face_list)
from mmsde.synthetic import (EXPRESSIONS, make_identity, render_face,
                             render_pair)

TOOLS = Path(__file__).parents[2] / 'tools' / 'dataset_converters'


def _hashes(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


@pytest.fixture(scope='module')
def tiny_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth') / 'set'
    summary = generate_synthetic_msde(root, num_subjects=4, img_size=48)
    return root, summary


def test_layout(tiny_set):
    root, summary = tiny_set
    names = [f'{s:03d}_{c}_0.png' for s in range(1, 5) for c in range(7)]
    assert sorted(p.name for p in (root / 'MSD-E').iterdir()) == names
    assert sorted(p.name for p in (root / 'MSD-ME').iterdir()) == names
    lines = (root / 'Paired_files.txt').read_text().splitlines()
    assert lines == [f'{n},{n.split("_")[1]}' for n in names]
    assert summary['num_pairs'] == 28 and summary['num_images'] == 56
    img = cv2.imread(str(root / 'MSD-ME' / names[0]))
    assert img.shape == (48, 48, 3)
    assert len(EXPRESSIONS) == 7 and EXPRESSIONS[3] == 'Happiness'


def test_files_match_renderer(tiny_set):
    root, _ = tiny_set
    face, masked, _ = render_pair(0, 3, 5, 0, img_size=48)
    np.testing.assert_array_equal(
        cv2.imread(str(root / 'MSD-E' / '003_5_0.png')), face)
    np.testing.assert_array_equal(
        cv2.imread(str(root / 'MSD-ME' / '003_5_0.png')), masked)


def test_deterministic_per_seed(tiny_set, tmp_path):
    root, _ = tiny_set
    generate_synthetic_msde(tmp_path / 'same', num_subjects=4, img_size=48)
    assert _hashes(tmp_path / 'same') == _hashes(root)
    generate_synthetic_msde(
        tmp_path / 'other', num_subjects=4, img_size=48, seed=1)
    same, other = _hashes(root), _hashes(tmp_path / 'other')
    images = [k for k in same if k.endswith('.png')]
    assert all(same[k] != other[k] for k in images)


def test_refuses_non_empty_dir(tmp_path):
    (tmp_path / 'notes.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not empty.*overwrite'):
        generate_synthetic_msde(tmp_path, num_subjects=1, img_size=32)
    generate_synthetic_msde(
        tmp_path, num_subjects=2, img_size=32, overwrite=True)
    generate_synthetic_msde(
        tmp_path, num_subjects=1, img_size=32, overwrite=True)
    assert len(list((tmp_path / 'MSD-E').iterdir())) == 7  # stale removed
    assert (tmp_path / 'notes.txt').read_text() == 'keep me'
    with pytest.raises(ValueError, match='num_subjects must be'):
        generate_synthetic_msde(tmp_path / 'x', num_subjects=0)


def test_cli_refuses_non_empty_dir(tmp_path, monkeypatch, capsys):
    script = str(TOOLS / 'make_synthetic_msde.py')
    argv = [script, str(tmp_path), '--num-subjects', '1', '--img-size', '32']
    monkeypatch.setattr(sys, 'argv', argv)
    runpy.run_path(script, run_name='__main__')
    assert 'num_pairs: 7' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='not empty.*--overwrite'):
        runpy.run_path(script, run_name='__main__')


def _crops(folder: Path, n: int = 3) -> list:
    folder.mkdir()
    names = []
    for i in range(n):
        face, _ = render_face(
            make_identity(9, i + 1), i, np.random.default_rng(i), img_size=64)
        names.append(f'face{i}.jpg' if i == 0 else f'face{i}.png')
        cv2.imwrite(str(folder / names[-1]), face)
    return names


def test_converter(tmp_path):
    names = _crops(tmp_path / 'crops')
    ann = tmp_path / 'list.csv'
    ann.write_text(f'img_path,gt_label,subject\n{names[0]},Happiness,7\n'
                   f'\n{names[1]},3,007\n{names[2]},4,12\n')
    summary = add_synthetic_masks(tmp_path / 'crops', ann, tmp_path / 'out')
    out = tmp_path / 'out'
    assert (out / 'Paired_files.txt').read_text().splitlines() == [
        '007_3_0.png,3', '007_3_1.png,3', '012_4_0.png,4'
    ]
    assert summary['num_pairs'] == 3 and summary['num_subjects'] == 2
    original = cv2.imread(str(tmp_path / 'crops' / names[1]))
    copied = cv2.imread(str(out / 'MSD-E' / '007_3_1.png'))
    masked = cv2.imread(str(out / 'MSD-ME' / '007_3_1.png'))
    np.testing.assert_array_equal(original, copied)
    changed = np.any(masked != copied, axis=2)
    assert changed[40:60].mean() > 0.5 and not changed[:25].any()
    # The same list in OpenMMLab 2.0 JSON gives the same files.
    data_list = [dict(img_path=names[0], gt_label=3, subject='7'),
                 dict(img_path=names[1], gt_label='3', subject='7'),
                 dict(img_path=names[2], gt_label='Sadness', subject=12)]
    ann_json = tmp_path / 'list.json'
    ann_json.write_text(json.dumps(dict(metainfo={}, data_list=data_list)))
    add_synthetic_masks(tmp_path / 'crops', ann_json, tmp_path / 'again')
    for name in ('007_3_0.png', '007_3_1.png', '012_4_0.png'):
        for folder in ('MSD-E', 'MSD-ME'):
            assert (out / folder / name).read_bytes() == (
                tmp_path / 'again' / folder / name).read_bytes()


def test_converter_without_subjects(tmp_path):
    names = _crops(tmp_path / 'crops', 2)
    ann = tmp_path / 'list.csv'
    ann.write_text(f'img_path,gt_label\n{names[0]},0\n{names[1]},0\n')
    add_synthetic_masks(tmp_path / 'crops', ann, tmp_path / 'out')
    assert (tmp_path / 'out' / 'Paired_files.txt').read_text().split() == [
        '001_0_0.png,0', '002_0_0.png,0'
    ]


@pytest.mark.parametrize('text, match', [
    ('img_path,gt_label\n{0},0\n{0}\n',
     r'list.csv:3: 1 fields, expected 2'),
    ('img_path,gt_label\n{0},Contempt\n',
     r"list.csv:2: face0.jpg: label 'Contempt' is neither a class index 0..6"),
    ('img_path,gt_label,subject\n{0},0,1\n{0},1,\n',
     r'list.csv:3: give a subject on every row or on none'),
    ('img_path,gt_label,masked\n{0},0,1\n',
     r'list.csv:2: .* is marked masked; list non-masked crops only'),
    ('img_path,label\n{0},0\n', r"header .* lacks the column\(s\) "
     r"\['gt_label'\]"),
])
def test_read_face_list_errors(tmp_path, text, match):
    ann = tmp_path / 'list.csv'
    ann.write_text(text.format('face0.jpg'))
    with pytest.raises(ValueError, match=match):
        read_face_list(ann)


def test_converter_errors(tmp_path):
    names = _crops(tmp_path / 'crops', 1)
    ann = tmp_path / 'list.csv'
    ann.write_text(f'img_path,gt_label\n{names[0]},0\n\nmissing.png,1\n')
    with pytest.raises(
            FileNotFoundError, match=r'list.csv:4: image .*missing'):
        add_synthetic_masks(tmp_path / 'crops', ann, tmp_path / 'out')
    ann.write_text(f'img_path,gt_label,subject\n{names[0]},0,a_b\n')
    with pytest.raises(ValueError, match=r"list.csv:2: subject 'a_b' cannot"):
        add_synthetic_masks(tmp_path / 'crops', ann, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()  # checked before writing


def test_pair_name():
    assert pair_name(7, 3, 0) == '007_3_0.png'
    assert pair_name('0012', 1, 2) == '012_1_2.png'
    assert pair_name('s01', 6, 0) == 's01_6_0.png'
    for bad in ('a_b', 'a/b', 'a b', ''):
        with pytest.raises(ValueError, match='cannot be part of'):
            pair_name(bad, 0, 0)
