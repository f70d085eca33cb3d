from collections import Counter

import pytest
from mmpretrain.registry import DATASETS

import mmsde.datasets  # noqa: F401  (registers the datasets)
from mmsde.datasets import RAFDB

# (name, RAF-DB label 1..7): 7 train images, one per class, and 3 test ones
ENTRIES = [(f'train_{i:05d}.jpg', i) for i in range(1, 8)] + [
    ('test_0001.jpg', 7), ('test_0002.jpg', 1), ('test_0003.jpg', 4)
]


@pytest.fixture
def rafdb_root(tmp_path, fer_data):
    return fer_data.write_rafdb(tmp_path / 'rafdb', ENTRIES, 'masked')


@pytest.mark.parametrize('split,names', [
    ('train', [n for n, _ in ENTRIES[:7]]),
    ('test', [n for n, _ in ENTRIES[7:]]),
    ('all', [n for n, _ in ENTRIES]),
])
def test_native_split_and_labels(rafdb_root, split, names):
    ds = RAFDB(str(rafdb_root), split=split, views='non_masked')
    raw = dict(ENTRIES)
    assert len(ds) == len(names)
    for i, name in enumerate(names):
        info = ds.get_data_info(i)
        stem = name[:-4]
        assert info['img_path'] == str(rafdb_root / 'Image' / 'aligned' /
                                       f'{stem}_aligned.jpg')
        assert info['gt_label'] == raw[name] - 1
        assert info['masked'] is False
        assert info['subject'] == info['pair_id'] == stem


def test_without_masked_dir(tmp_path, fer_data):
    root = fer_data.write_rafdb(tmp_path / 'rafdb', ENTRIES)
    ds = DATASETS.build(dict(type='RAFDB', data_root=str(root)))
    assert isinstance(ds, RAFDB) and len(ds) == 7
    assert Counter(ds.get_gt_labels().tolist()) == {c: 1 for c in range(7)}
    with pytest.raises(ValueError, match='set masked_dir'):
        RAFDB(str(root), views='paired')


def test_masked_copies_pair_up(rafdb_root):
    both = RAFDB(str(rafdb_root), split='test', masked_dir='masked')
    assert [both.get_data_info(i)['masked'] for i in range(6)] == [
        False, True
    ] * 3
    pairs = RAFDB(
        str(rafdb_root), split='test', masked_dir='masked', views='paired')
    info = pairs.get_data_info(0)
    assert info['img_path'] == [
        str(rafdb_root / 'Image/aligned/test_0001_aligned.jpg'),
        str(rafdb_root / 'masked/test_0001_aligned.jpg')
    ]
    assert (info['gt_label'], info['pair_id']) == (6, 'test_0001')


def test_native_split_has_no_val(rafdb_root):
    with pytest.raises(ValueError, match=r"split='val' is not a native "
                       r"split of this dataset \['test', 'train'\]"):
        RAFDB(str(rafdb_root), split='val')


def test_image_level_folds_warn(rafdb_root, mm_log):
    ds = RAFDB(str(rafdb_root), split='test', fold=0, num_folds=5)
    assert len(ds) == 2
    assert any('folds split images, not subjects' in m for m in mm_log)


@pytest.mark.parametrize('line,match', [
    ('train_00009.jpg 8', r'list_patition_label.txt:11: RAF-DB label 8 is '
     r'not in 1..7'),
    ('train_00009.jpg', r"list_patition_label.txt:11: expected "
     r"'<name>.jpg <label>', got 'train_00009.jpg'"),
    ('val_00001.jpg 3', r"list_patition_label.txt:11: 'val_00001.jpg' does "
     r"not start with a split prefix \('train', 'test'\)"),
])
def test_bad_lines(rafdb_root, line, match):
    ann = rafdb_root / 'EmoLabel' / 'list_patition_label.txt'
    ann.write_text(ann.read_text() + line + '\n')
    with pytest.raises(ValueError, match=match):
        RAFDB(str(rafdb_root))


def test_missing_image(rafdb_root):
    missing = rafdb_root / 'Image' / 'aligned' / 'train_00003_aligned.jpg'
    missing.unlink()
    with pytest.raises(ValueError, match=f'image not found: {missing}'):
        RAFDB(str(rafdb_root))
