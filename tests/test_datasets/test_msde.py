import os
import re
from collections import Counter

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import mmsde.datasets  # noqa: F401  (registers the datasets)
from mmsde.datasets import MSDE
from mmsde.utils.classes import FER_CLASSES

NUM_SUBJECTS = 20


def expected_test_subjects(fold, num_folds):
    """Contiguous blocks of the numeric subject order, larger ones first."""
    size, extra = divmod(NUM_SUBJECTS, num_folds)
    start = fold * size + min(fold, extra)
    stop = start + size + (fold < extra)
    return {str(s) for s in range(start + 1, stop + 1)}


def test_records_follow_the_data_contract(msde_root):
    ds = MSDE(str(msde_root), split='all', fold=None)
    assert len(ds) == NUM_SUBJECTS * 7 * 2
    assert ds.metainfo['classes'] == FER_CLASSES
    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert first['img_path'] == str(msde_root / 'MSD-E' / '1_0_a.png')
    assert second['img_path'] == str(msde_root / 'MSD-ME' / '1_0_a.png')
    assert os.path.isabs(first['img_path'])
    assert (first['masked'], second['masked']) == (False, True)
    assert first['subject'] == second['subject'] == '1'
    assert first['pair_id'] == second['pair_id'] == '1_0_a'
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        name = os.path.basename(info['img_path'])
        subject, label = name.split('_')[:2]
        assert (info['subject'], info['gt_label']) == (subject, int(label))
        assert info['masked'] == ('MSD-ME' in info['img_path'])
    assert Counter(ds.get_gt_labels().tolist()) == {
        c: NUM_SUBJECTS * 2
        for c in range(7)
    }


@pytest.mark.parametrize('num_folds', [10, 3])
def test_every_fold_is_subject_disjoint(msde_root, num_folds):
    tested = []
    for fold in range(num_folds):
        splits = {}
        for split in ('train', 'val', 'test'):
            ds = MSDE(
                str(msde_root),
                split=split,
                fold=fold,
                num_folds=num_folds,
                val_ratio=0.1,
                serialize_data=False)  # skips mmengine's gc.collect()
            splits[split] = {
                ds.get_data_info(i)['subject']
                for i in range(len(ds))
            }
            assert len(ds) == len(splits[split]) * 7 * 2
        assert splits['test'] == expected_test_subjects(fold, num_folds)
        assert not splits['train'] & splits['test']
        assert not splits['val'] & (splits['train'] | splits['test'])
        assert splits['train'] | splits['val'] | splits['test'] == {
            str(s)
            for s in range(1, NUM_SUBJECTS + 1)
        }
        tested.extend(splits['test'])
    assert sorted(tested) == sorted(str(s) for s in range(1, 21))


def test_fold0_train_both(msde_root):
    ds = MSDE(str(msde_root), fold=0)
    subjects = {ds.get_data_info(i)['subject'] for i in range(len(ds))}
    assert subjects == {str(s) for s in range(3, 21)}  # fold 0 tests 1, 2
    assert len(ds) == 18 * 7 * 2
    assert not ds.test_mode
    assert MSDE(str(msde_root), split='test', fold=0).test_mode


@pytest.mark.parametrize('views,count,masked', [
    ('non_masked', 2 * 7, {False}),
    ('masked', 2 * 7, {True}),
    ('both', 2 * 7 * 2, {False, True}),
])
def test_single_views(msde_root, views, count, masked):
    ds = MSDE(str(msde_root), split='test', fold=0, views=views)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(infos) == count
    assert {info['masked'] for info in infos} == masked


def test_paired_view(msde_root):
    ds = MSDE(str(msde_root), split='test', fold=0, views='paired')
    assert len(ds) == 2 * 7
    info = ds.get_data_info(0)
    assert info['img_path'] == [
        str(msde_root / 'MSD-E' / '1_0_a.png'),
        str(msde_root / 'MSD-ME' / '1_0_a.png')
    ]
    assert tuple(info['masked']) == (False, True)
    assert info['gt_label'] == 0
    assert (info['subject'], info['pair_id']) == ('1', '1_0_a')


def test_build_from_config_and_pipeline(msde_root):
    ds = DATASETS.build(
        dict(
            type='MSDE',
            data_root=str(msde_root),
            split='test',
            fold=0,
            views='masked',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(
                    type='PackInputs',
                    algorithm_keys=('masked', 'subject', 'pair_id'))
            ]))
    assert isinstance(ds, MSDE)
    sample = ds[0]
    assert sample['inputs'].shape == (3, 4, 4)
    data_sample = sample['data_samples']
    assert data_sample.masked is True
    assert (data_sample.subject, data_sample.pair_id) == ('1', '1_0_a')
    assert data_sample.gt_label.tolist() == [0]


def test_fold_none_without_native_split(msde_root):
    with pytest.raises(ValueError, match='MSDE has no native split'):
        MSDE(str(msde_root), split='train', fold=None)


def test_missing_masked_side(fresh_msde_root):
    missing = fresh_msde_root / 'MSD-ME' / '3_4_a.png'
    missing.unlink()
    with pytest.raises(ValueError, match=f'image not found: {missing}$'):
        MSDE(str(fresh_msde_root), fold=0)
    # the test fold of fold 0 holds subjects 1, 2: not affected
    assert len(MSDE(str(fresh_msde_root), split='test', fold=0)) == 28


def test_paired_missing_side_is_named(fresh_msde_root, mm_log):
    (fresh_msde_root / 'MSD-ME' / '3_4_a.png').unlink()
    ds = MSDE(str(fresh_msde_root), fold=0, views='paired', on_error='skip')
    assert len(ds) == 18 * 7 - 1
    assert any('3_4_a.png' in m and 'image not found' in m for m in mm_log)
    assert any("pair '3_4_a' has no masked image" in m for m in mm_log)
    assert any('2 bad entries skipped' in m for m in mm_log)


@pytest.mark.parametrize('line,match', [
    ('nolabel.png', r"Paired_files.txt:3: file name 'nolabel.png' does not "
     r"match the MSD-E pattern '<subject>_<label>_<rest>'"),
    ('5_x_a.png', r"Paired_files.txt:3: file name '5_x_a.png'"),
    ('5_9_a.png', r'Paired_files.txt:3: label 9 of .*5_9_a.png is not a '
     r'class index in \[0, 6\]'),
])
def test_bad_names_and_labels(tmp_path, fer_data, line, match):
    names = ['1_0_a.png', '2_1_a.png', line]
    root = fer_data.write_msde(tmp_path, names)
    with pytest.raises(ValueError, match=match):
        MSDE(str(root), split='all', fold=None)


def test_corrupt_image(fresh_msde_root):
    bad = fresh_msde_root / 'MSD-E' / '5_2_a.png'
    bad.write_bytes(np.random.default_rng(0).bytes(200))
    with pytest.raises(ValueError, match=f'cannot read image {bad}'):
        MSDE(str(fresh_msde_root), split='all', fold=None)


def test_path_escaping_the_root_is_refused(tmp_path, fer_data):
    root = fer_data.write_msde(tmp_path / 'msde', ['1_0_a.png', '2_1_a.png'])
    (tmp_path / 'secret').mkdir()
    (tmp_path / 'secret' / 'x.png').write_bytes(fer_data.PNG)
    # MSD-E/3_0_x/../../../secret/x.png == <tmp_path>/secret/x.png
    lines = ['1_0_a.png', '2_1_a.png', '3_0_x/../../../secret/x.png']
    (root / 'Paired_files.txt').write_text('\n'.join(lines))
    with pytest.raises(ValueError, match=r'Paired_files.txt:3: image .*'
                       r'secret/x.png resolves to .*outside the dataset root'):
        MSDE(str(root), split='all', fold=None)


def test_symlink_escaping_the_root_is_refused(tmp_path, fer_data):
    root = fer_data.write_msde(tmp_path / 'msde', ['1_0_a.png', '2_1_a.png'])
    outside = tmp_path / 'outside.png'
    outside.write_bytes(fer_data.PNG)
    link = root / 'MSD-ME' / '2_1_a.png'
    link.unlink()
    link.symlink_to(outside)
    match = (f'{re.escape(str(link))} resolves to '
             f'{re.escape(os.path.realpath(outside))}')
    with pytest.raises(ValueError, match=match):
        MSDE(str(root), split='all', fold=None)


def test_duplicate_line(tmp_path, fer_data):
    root = fer_data.write_msde(
        tmp_path, ['1_0_a.png', '2_1_a.png'],
        pair_lines=['1_0_a.png', '2_1_a.png', '1_0_a.png'])
    with pytest.raises(ValueError, match=r'Paired_files.txt:3: .*1_0_a.png is '
                       r'listed twice \(first at .*Paired_files.txt:1\)'):
        MSDE(str(root), split='all', fold=None)


def test_skip_keeps_good_entries_and_logs_each(fresh_msde_root, mm_log):
    bad = fresh_msde_root / 'MSD-E' / '5_2_a.png'
    bad.write_bytes(np.random.default_rng(0).bytes(200))
    with open(fresh_msde_root / 'Paired_files.txt', 'a') as f:
        f.write('badname.png\n5_9_b.png\n')
    ds = MSDE(str(fresh_msde_root), split='all', fold=None, on_error='skip')
    assert len(ds) == NUM_SUBJECTS * 7 * 2 - 1
    paths = {ds.get_data_info(i)['img_path'] for i in range(len(ds))}
    assert str(bad) not in paths
    assert str(fresh_msde_root / 'MSD-ME' / '5_2_a.png') in paths
    skipped = [m for m in mm_log if m.startswith('MSDE: skipped ')]
    assert len(skipped) == 4  # bad name; label 9 (two sides); corrupt image
    assert any(str(bad) in m and 'cannot read image' in m for m in skipped)
    assert any("'badname.png'" in m for m in skipped)
    assert sum('label 9' in m for m in skipped) == 2
    assert any('MSDE: 4 bad entries skipped' in m for m in mm_log)


@pytest.mark.parametrize('kwargs,match', [
    (dict(fold=10), r'fold must be an integer in \[0, 9\]'),
    (dict(num_folds=30), r'MSDE: num_folds=30 is larger than the number of '
     r'subjects \(20\)'),
    (dict(split='val'), 'set val_ratio > 0'),
    (dict(split='dev'), r"split must be one of .*got 'dev'"),
    (dict(views='pairs'), r"MSDE: views must be one of .*got 'pairs'"),
    (dict(on_error='ignore'), r'MSDE: on_error must be one of'),
    (dict(fold=None, val_ratio=0.1), 'val_ratio=0.1 applies to subject '
     'folds only'),
])
def test_argument_errors(msde_root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MSDE(str(msde_root), **{'fold': 0, **kwargs})


def test_empty_selection_names_the_options(tmp_path, fer_data):
    root = fer_data.write_msde(tmp_path, ['1_0_a.png', '2_1_a.png'])
    for name in ('1_0_a.png', '2_1_a.png'):
        (root / 'MSD-ME' / name).unlink()
    with pytest.raises(ValueError, match=r"MSDE: no samples for split='test'"
                       r".*views='masked'.*Options: split in"):
        MSDE(str(root), split='test', fold=0, num_folds=2, views='masked',
             on_error='skip')


def test_missing_annotation_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='Paired_files.txt not found'):
        MSDE(str(tmp_path))


def test_truncated_jpeg(tmp_path, fer_data):
    """PIL's verify() passes a cut JPEG; the end-of-image check does not."""
    import io

    from PIL import Image
    names = ['1_0_a.jpg', '2_1_a.jpg']
    root = fer_data.write_msde(tmp_path, names)
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)
    Image.fromarray(noise).save(buf, 'JPEG', quality=90)
    for folder in ('MSD-E', 'MSD-ME'):
        for name in names:
            (root / folder / name).write_bytes(buf.getvalue())
    assert len(MSDE(str(root), split='all', fold=None)) == 4
    bad = root / 'MSD-ME' / '2_1_a.jpg'
    bad.write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
    with pytest.raises(ValueError,
                       match=f'cannot read image {bad}.*truncated'):
        MSDE(str(root), split='all', fold=None)


def _record(root, view) -> None:
    (root / 'synthetic.json').write_text(
        f'{{"generator_version": 1, "masked_view": "{view}"}}\n')


def test_synthetic_view_is_checked_against_the_record(tmp_path, fer_data):
    root = fer_data.write_msde(tmp_path, ['1_0_a.png', '2_1_a.png'])
    _record(root, 'second_photo')
    assert len(MSDE(str(root), split='all',
                    synthetic_view='second_photo')) == 4
    with pytest.raises(ValueError) as err:
        MSDE(str(root), split='all', synthetic_view='overlay')
    message = str(err.value)
    assert str(root / 'synthetic.json') in message
    assert "masked_view='second_photo', not the 'overlay'" in message
    assert f'make_synthetic_msde.py {root} --masked-view overlay ' \
           '--overwrite' in message


def test_synthetic_view_needs_a_record(tmp_path, fer_data):
    root = fer_data.write_msde(tmp_path, ['1_0_a.png', '2_1_a.png'])
    with pytest.raises(FileNotFoundError,
                       match=r'synthetic.json not found.*generated before '
                       r'benchmarks recorded it.*--masked-view '
                       r'second_photo --overwrite'):
        MSDE(str(root), split='all', synthetic_view='second_photo')
    (root / 'synthetic.json').write_text('{"masked_view": "both"}')
    with pytest.raises(ValueError, match=r"synthetic.json: needs a JSON "
                       r"object whose masked_view is one of"):
        MSDE(str(root), split='all', synthetic_view='second_photo')


def test_real_msde_checks_no_record(tmp_path, fer_data):
    root = fer_data.write_msde(tmp_path, ['1_0_a.png', '2_1_a.png'])
    assert len(MSDE(str(root), split='all')) == 4  # no record: real MSD-E
    _record(root, 'overlay')
    assert len(MSDE(str(root), split='all', synthetic_view=None)) == 4
    with pytest.raises(ValueError, match=r"MSDE: synthetic_view must be one "
                       r"of \('overlay', 'second_photo'\), got 'photo'"):
        MSDE(str(root), split='all', synthetic_view='photo')
