import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import mmsde.datasets  # noqa: F401  (registers the datasets)
from mmsde.datasets import FER2013
from mmsde.utils.classes import FER_CLASSES

FER2013_NAMES = ('Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise',
                 'Neutral')
# FER2013 name -> FER_CLASSES name, written out independently of the code
SAME_CLASS = {
    'Angry': 'Anger',
    'Disgust': 'Disgust',
    'Fear': 'Fear',
    'Happy': 'Happiness',
    'Sad': 'Sadness',
    'Surprise': 'Surprise',
    'Neutral': 'Neutral'
}
USAGES = ['Training'] * 7 + ['PublicTest'] * 2 + ['PrivateTest'] * 3


@pytest.fixture
def fer_root(tmp_path, fer_data):
    rows = [(str(i % 7), fer_data.pixel_text(fer_data.fer2013_pixels(i)), u)
            for i, u in enumerate(USAGES)]
    return fer_data.write_fer2013(tmp_path / 'fer2013', rows)


@pytest.mark.parametrize('split,rows', [('train', range(0, 7)),
                                        ('val', range(7, 9)),
                                        ('test', range(9, 12))])
def test_splits_labels_and_pixels(fer_root, fer_data, split, rows):
    ds = FER2013(str(fer_root), split=split)
    assert len(ds) == len(rows)
    for i, row in enumerate(rows):
        info = ds.get_data_info(i)
        fer_name = FER2013_NAMES[row % 7]
        assert FER_CLASSES[info['gt_label']] == SAME_CLASS[fer_name]
        line = row + 2  # header is line 1
        assert info['img_path'] == f'fer2013.csv:{line}'
        assert info['subject'] == info['pair_id'] == f'fer2013_{line}'
        assert info['masked'] is False
        img = info['img']
        assert img.shape == (48, 48, 3) and img.dtype == np.uint8
        grey = fer_data.fer2013_pixels(row)
        for c in range(3):
            np.testing.assert_array_equal(img[..., c], grey)


def test_stored_compactly(fer_root):
    ds = FER2013(str(fer_root), serialize_data=False)
    assert ds.data_list[0]['img'].shape == (48, 48)


def test_build_and_pack(fer_root):
    ds = DATASETS.build(
        dict(
            type='FER2013',
            data_root=str(fer_root),
            split='test',
            pipeline=[
                dict(
                    type='PackInputs',
                    algorithm_keys=('masked', 'subject', 'pair_id'))
            ]))
    assert isinstance(ds, FER2013) and ds.test_mode
    sample = ds[0]
    assert sample['inputs'].shape == (3, 48, 48)
    assert sample['data_samples'].masked is False


@pytest.mark.parametrize('row,match', [
    ('9,{px},Training', r"fer2013.csv:3: emotion '9' is not a FER2013 class"),
    ('1,{px} 7,Training', r'fer2013.csv:3: 2305 pixel values, expected 2304'),
    ('1,1 2 x,Training', r'fer2013.csv:3: pixels are not space-separated'),
    ('1,{px},Validation', r"fer2013.csv:3: Usage 'Validation' is not one of"),
    ('1,{px}', r'fer2013.csv:3: 2 fields, expected 3'),
])
def test_malformed_rows(tmp_path, fer_data, row, match):
    px = fer_data.pixel_text(fer_data.fer2013_pixels(0))
    root = fer_data.write_fer2013(tmp_path, [('0', px, 'Training'),
                                             tuple(row.format(px=px).split(
                                                 ','))])
    with pytest.raises(ValueError, match=match):
        FER2013(str(root))


def test_skip_malformed_row(tmp_path, fer_data, mm_log):
    px = fer_data.pixel_text(fer_data.fer2013_pixels(0))
    root = fer_data.write_fer2013(tmp_path, [('0', px, 'Training'),
                                             ('3', '1 2', 'Training')])
    ds = FER2013(str(root), on_error='skip')
    assert len(ds) == 1
    assert any('fer2013.csv:3: 2 pixel values' in m for m in mm_log)
    assert any('1 bad entries skipped' in m for m in mm_log)


def test_missing_header_column(tmp_path):
    (tmp_path / 'fer2013.csv').write_text('emotion,pixels\n0,1 2\n')
    with pytest.raises(ValueError, match=r"fer2013.csv:1: header \['emotion', "
                       r"'pixels'\] lacks the column\(s\) \['Usage'\]"):
        FER2013(str(tmp_path))
