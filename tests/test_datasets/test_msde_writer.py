"""Writers of MSD-E's layout: the synthetic set and synthetic masks."""
import hashlib
import json
import os.path as osp
import runpy
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmsde.datasets import MSDE, msde_writer
from mmsde.datasets.msde_writer import (add_synthetic_masks,
                                        ensure_synthetic_msde,
                                        generate_synthetic_msde, pair_name,
                                        read_face_list, read_synthetic_record)
from mmsde.synthetic import (EXPRESSIONS, GENERATOR_VERSION, make_identity,
                             render_face, render_pair)

TOOLS = Path(__file__).parents[2] / 'tools' / 'dataset_converters'
CONFIGS = Path(__file__).parents[2] / 'configs'


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


@pytest.fixture(scope='module')
def second_photo_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth') / 'second_photo'
    summary = generate_synthetic_msde(root, num_subjects=4, img_size=48,
                                      masked_view='second_photo')
    return root, summary


def test_record_of_the_masked_view(tiny_set, second_photo_set):
    for (root, summary), view in ((tiny_set, 'overlay'),
                                  (second_photo_set, 'second_photo')):
        assert summary['masked_view'] == view
        assert read_synthetic_record(root) == dict(
            generator_version=GENERATOR_VERSION, masked_view=view, seed=0,
            img_size=48, num_subjects=4, images_per_expression=1,
            mask_styles=['surgical', 'cloth', 'n95'])


def test_second_photo_set(tiny_set, second_photo_set, tmp_path):
    """Files as the renderer draws them, the same for a seed; the
    non-masked images are the overlay set's, every masked one differs."""
    root, _ = second_photo_set
    face, masked, _ = render_pair(0, 3, 5, 0, img_size=48,
                                  masked_view='second_photo')
    np.testing.assert_array_equal(
        cv2.imread(str(root / 'MSD-E' / '003_5_0.png')), face)
    np.testing.assert_array_equal(
        cv2.imread(str(root / 'MSD-ME' / '003_5_0.png')), masked)
    generate_synthetic_msde(tmp_path / 'same', num_subjects=4, img_size=48,
                            masked_view='second_photo')
    assert _hashes(tmp_path / 'same') == _hashes(root)
    overlay, second = _hashes(tiny_set[0]), _hashes(root)
    assert overlay.keys() == second.keys()
    for path in overlay:
        if path.startswith('MSD-E/') or path == 'Paired_files.txt':
            assert overlay[path] == second[path], path
        else:
            assert overlay[path] != second[path], path


def test_second_photo_pairs_share_subject_and_label(second_photo_set):
    root, _ = second_photo_set
    pairs = MSDE(str(root), split='all', views='paired',
                 synthetic_view='second_photo')
    assert len(pairs) == 28
    for info in (pairs.get_data_info(i) for i in range(len(pairs))):
        nm, m = info['img_path']
        assert osp.basename(nm) == osp.basename(m)
        subject, label, _ = osp.basename(nm).split('_')
        assert info['subject'] == subject
        assert info['gt_label'] == int(label)


def test_overwrite_removes_a_stale_record(second_photo_set, tmp_path):
    names = _crops(tmp_path / 'crops', 1)
    ann = tmp_path / 'list.csv'
    ann.write_text(f'img_path,gt_label\n{names[0]},0\n')
    out = tmp_path / 'out'
    generate_synthetic_msde(out, num_subjects=1, img_size=32,
                            masked_view='second_photo')
    add_synthetic_masks(tmp_path / 'crops', ann, out, overwrite=True)
    assert read_synthetic_record(out) == {}  # user crops: no synthetic set


def test_ensure_generates_only_what_is_missing(tmp_path, monkeypatch):
    made = []

    def fake(out_dir, **kwargs):
        made.append((out_dir, kwargs))
        return generate_synthetic_msde(out_dir, num_subjects=1, img_size=32,
                                       **kwargs)

    monkeypatch.setattr(msde_writer, 'generate_synthetic_msde', fake)
    root = tmp_path / 'set'
    assert ensure_synthetic_msde(root, 'second_photo')['num_pairs'] == 7
    assert made == [(root, dict(masked_view='second_photo',
                                overwrite=True))]
    assert ensure_synthetic_msde(root, 'second_photo') is None
    assert len(made) == 1
    with pytest.raises(ValueError, match=r"synthetic.json: .* generated "
                       r"with masked_view='second_photo', not the 'overlay'"
                       r".*make_synthetic_msde.py .* --masked-view overlay "
                       r"--overwrite"):
        ensure_synthetic_msde(root, 'overlay')
    (root / 'synthetic.json').unlink()  # made before sets had records
    ensure_synthetic_msde(root, 'overlay')
    assert read_synthetic_record(root)['masked_view'] == 'overlay'


def test_cli_default_is_second_photo_in_its_own_folder(tmp_path, monkeypatch,
                                                       capsys):
    script = str(TOOLS / 'make_synthetic_msde.py')
    monkeypatch.chdir(tmp_path)
    for extra, folder, view in (
            ([], 'data/synthetic_msde_second-photo', 'second_photo'),
            (['--masked-view', 'overlay'], 'data/synthetic_msde',
             'overlay')):
        monkeypatch.setattr(sys, 'argv', [script, '--num-subjects', '1',
                                          '--img-size', '32', *extra])
        runpy.run_path(script, run_name='__main__')
        assert f'masked_view: {view}' in capsys.readouterr().out
        assert read_synthetic_record(tmp_path / folder)['masked_view'] == view


def test_configs_read_the_second_photo_folder():
    """The synthetic configs name the folder the tool writes by default,
    and check its masked view."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        str(CONFIGS / '_base_' / 'datasets' / 'synthetic_msde.py'))
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        assert dataset.data_root == msde_writer.SYNTHETIC_ROOTS['second_photo']
        assert dataset.synthetic_view == 'second_photo'


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
