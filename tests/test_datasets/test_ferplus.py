from collections import Counter

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS

from mmsde.datasets.checks import DataEntryError
from mmsde.datasets.ferplus import FERPlus  # also registers it
from mmsde.utils.classes import FER_CLASSES, FER_CLASSES_8

HEADER = ('Usage,Image name,neutral,happiness,surprise,sadness,anger,'
          'disgust,fear,contempt,unknown,NF')
COLUMNS = HEADER.split(',')[2:]
# FERPlus column -> (class name, mmsde label), written out independently
SAME_CLASS = {
    'neutral': ('Neutral', 6),
    'happiness': ('Happiness', 3),
    'surprise': ('Surprise', 0),
    'sadness': ('Sadness', 4),
    'anger': ('Anger', 5),
    'disgust': ('Disgust', 2),
    'fear': ('Fear', 1),
    'contempt': ('Contempt', 7),
}


def votes(**counts) -> list:
    """Ten vote counts in file order from ``column=count``."""
    assert set(counts) <= set(COLUMNS)
    return [counts.get(c, 0) for c in COLUMNS]


def write_ferplus(root, fer_data, rows, pixel_usages=None):
    """Write fer2013.csv and fer2013new.csv; ``rows`` are ``(Usage, Image
    name, votes)``, the pixels of row i are ``fer2013_pixels(i)``."""
    pixel_usages = pixel_usages or [u for u, _, _ in rows]
    fer_data.write_fer2013(root, [
        ('0', fer_data.pixel_text(fer_data.fer2013_pixels(i)), usage)
        for i, usage in enumerate(pixel_usages)
    ])
    lines = [HEADER] + [
        ','.join([usage, name] + [str(v) for v in counts])
        for usage, name, counts in rows
    ]
    (root / 'fer2013new.csv').write_text('\n'.join(lines) + '\n')
    return root


def name(i: int) -> str:
    return f'fer{i:07d}.png'


# one row per emotion column: 8 votes for it and two single (outlier) votes
MAPPING_ROWS = [('Training', name(i),
                 votes(**{col: 8, COLUMNS[(i + 1) % 10]: 1,
                          COLUMNS[(i + 3) % 10]: 1}))
                for i, col in enumerate(SAME_CLASS)]


@pytest.fixture
def mapping_root(tmp_path, fer_data):
    return write_ferplus(tmp_path, fer_data, MAPPING_ROWS)


def test_each_column_maps_to_its_class(mapping_root, fer_data):
    ds = FERPlus(str(mapping_root), split='all')
    assert ds.CLASSES == FER_CLASSES_8 and len(ds) == 8
    for i, column in enumerate(SAME_CLASS):
        info = ds.get_data_info(i)
        class_name, label = SAME_CLASS[column]
        assert info['gt_label'] == label
        assert ds.CLASSES[label] == class_name
        assert info['img_path'] == f'fer2013.csv:{i + 2}'
        assert info['subject'] == info['pair_id'] == f'fer{i:07d}'
        assert info['masked'] is False and 'gt_score' not in info
        img = info['img']
        assert img.shape == (48, 48, 3) and img.dtype == np.uint8
        for c in range(3):
            np.testing.assert_array_equal(img[..., c],
                                          fer_data.fer2013_pixels(i))
    assert ds.excluded == Counter()


def test_registry_build_and_splits(tmp_path, fer_data):
    usages = ['Training'] * 3 + ['PublicTest'] * 2 + ['PrivateTest']
    rows = [(u, name(i), votes(happiness=10)) for i, u in enumerate(usages)]
    root = write_ferplus(tmp_path, fer_data, rows)
    sizes = {}
    for split in ('train', 'val', 'test'):
        ds = DATASETS.build(
            dict(type='FERPlus', data_root=str(root), split=split))
        assert isinstance(ds, FERPlus)
        sizes[split] = [ds.get_data_info(i)['pair_id']
                        for i in range(len(ds))]
    assert sizes == {'train': ['fer0000000', 'fer0000001', 'fer0000002'],
                     'val': ['fer0000003', 'fer0000004'],
                     'test': ['fer0000005']}


@pytest.mark.parametrize('counts,label', [
    # 5 of 10 is no majority, but the single fear vote is noise: 5 of 9
    (votes(happiness=5, surprise=4, fear=1), 3),
    # 4 of 10, then 4 of 7 once the three single votes are removed
    (votes(sadness=4, neutral=3, anger=1, disgust=1, fear=1), 4),
])
def test_single_votes_are_outliers(tmp_path, fer_data, counts, label):
    root = write_ferplus(tmp_path, fer_data, [('Training', name(0), counts)])
    ds = FERPlus(str(root))
    assert len(ds) == 1 and ds.get_data_info(0)['gt_label'] == label


EXCLUDED_ROWS = [
    ('Training', name(0), votes(happiness=10)),  # kept
    ('Training', '', votes(NF=10)),  # no image name
    ('Training', name(2), votes(neutral=4, happiness=4, surprise=2)),
    ('PublicTest', name(3), votes(unknown=6, neutral=4)),
    ('PrivateTest', name(4), votes(NF=10)),
    ('Training', name(5), [1] * 10),  # every vote an outlier: no votes
    ('Training', name(6), votes(unknown=3, NF=3, neutral=4)),
    ('Training', name(7), votes(neutral=3, unknown=2, NF=2, fear=3)),
]


def test_each_exclusion_is_counted_and_logged(tmp_path, fer_data, mm_log):
    root = write_ferplus(tmp_path, fer_data, EXCLUDED_ROWS)
    ds = FERPlus(str(root), split='all')
    assert [ds.get_data_info(i)['pair_id'] for i in range(len(ds))] == [
        'fer0000000'
    ]
    assert ds.excluded == {
        'no image name': 1,
        'no majority': 3,  # rows 2, 6 and 7
        'unknown': 1,
        'not a face': 1,
        'no votes': 1
    }
    logged = [m for m in mm_log if 'excluded' in m]
    assert len(logged) == 1 and '7 of 8 rows' in logged[0]
    assert "'no majority': 3" in logged[0]


def test_soft_modes_exclude_unknown_or_not_a_face(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, EXCLUDED_ROWS)
    ds = FERPlus(str(root), split='all', label_mode='crossentropy')
    # rows 0 and 2 (4+4+2 emotion votes) and 7 (6 of 10 are emotions) stay
    assert [ds.get_data_info(i)['pair_id'] for i in range(len(ds))] == [
        'fer0000000', 'fer0000002', 'fer0000007'
    ]
    assert ds.excluded == {
        'no image name': 1,
        'unknown or not a face': 3,  # rows 3, 4 and 6
        'no votes': 1
    }


def test_seven_and_eight_classes(tmp_path, fer_data):
    rows = [
        ('Training', name(0), votes(contempt=6, neutral=4)),
        ('Training', name(1), votes(contempt=5, happiness=3, sadness=2)),
        ('Training', name(2), votes(contempt=8, anger=1, fear=1)),
        ('Training', name(3), votes(surprise=7, contempt=3)),
    ]
    root = write_ferplus(tmp_path, fer_data, rows)
    eight = FERPlus(str(root))
    assert eight.CLASSES == FER_CLASSES_8
    assert eight.get_gt_labels().tolist() == [7, 7, 0]
    assert eight.excluded == {'no majority': 1}
    seven = FERPlus(str(root), num_classes=7)
    assert seven.CLASSES == FER_CLASSES
    # without contempt: neutral 4/4, happiness 3/5, nothing left, surprise
    assert seven.get_gt_labels().tolist() == [6, 3, 0]
    assert seven.excluded == {'no votes': 1}


SOFT_ROWS = [
    ('Training', name(0), votes(neutral=5, happiness=3, surprise=1, NF=1)),
    ('Training', name(1), votes(neutral=4, sadness=2, unknown=2, NF=2)),
    ('Training', name(2), votes(fear=6, contempt=4)),
]


def expected_scores():
    """Vote distributions of SOFT_ROWS, by hand, FER_CLASSES_8 order."""
    first = np.zeros(8)
    first[6], first[3] = 5 / 8, 3 / 8  # surprise and NF: single votes
    second = np.zeros(8)
    second[6], second[4] = 4 / 6, 2 / 6  # unknown and NF: not emotions
    third = np.zeros(8)
    third[1], third[7] = 6 / 10, 4 / 10
    return [first, second, third]


def test_crossentropy_soft_targets(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, SOFT_ROWS)
    ds = FERPlus(
        str(root),
        label_mode='crossentropy',
        pipeline=[
            dict(type='PackInputs', algorithm_keys=('masked', 'pair_id'))
        ])
    for i, expected in enumerate(expected_scores()):
        info = ds.get_data_info(i)
        score = info['gt_score']
        assert score.dtype == np.float32 and score.shape == (8, )
        np.testing.assert_allclose(score, expected, rtol=1e-6)
        assert np.isclose(score.sum(), 1)
        assert info['gt_label'] == int(np.argmax(expected))
    sample = ds[1]['data_samples']
    assert torch.allclose(sample.gt_score,
                          torch.tensor(expected_scores()[1]).float())
    assert sample.gt_label.tolist() == [6]


def test_crossentropy_seven_classes(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, SOFT_ROWS)
    ds = FERPlus(str(root), label_mode='crossentropy', num_classes=7)
    score = ds.get_data_info(2)['gt_score']
    np.testing.assert_allclose(score, [0, 1, 0, 0, 0, 0, 0])


def test_probability_draws_follow_the_votes(tmp_path, fer_data):
    rows = [('Training', name(0),
             votes(neutral=4, happiness=3, sadness=2, fear=1))]
    root = write_ferplus(tmp_path, fer_data, rows)
    ds = FERPlus(str(root), label_mode='probability')
    # fear's single vote is noise: 4/9 Neutral, 3/9 Happiness, 2/9 Sadness
    expected = {6: 4 / 9, 3: 3 / 9, 4: 2 / 9}
    np.testing.assert_allclose(ds.get_data_info(0)['label_dist'],
                               [0, 0, 0, 3 / 9, 2 / 9, 0, 4 / 9, 0],
                               rtol=1e-6)
    assert 'gt_score' not in ds.get_data_info(0)
    np.random.seed(0)
    draws = Counter(ds.get_data_info(0)['gt_label'] for _ in range(3000))
    assert set(draws) == set(expected)
    for label, p in expected.items():
        assert abs(draws[label] / 3000 - p) < 0.03, (label, draws)
    np.random.seed(0)
    again = Counter(ds.get_data_info(0)['gt_label'] for _ in range(3000))
    assert again == draws


def test_masked_copies_pair_up(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, EXCLUDED_ROWS[:3] + [
        ('PublicTest', name(3), votes(anger=9, disgust=1))
    ])
    (root / 'masked').mkdir()
    for i in (0, 3):
        (root / 'masked' / name(i)).write_bytes(fer_data.png_bytes(i))
    pairs = FERPlus(
        str(root), split='all', masked_dir='masked', views='paired')
    assert len(pairs) == 2
    info = pairs.get_data_info(1)
    assert info['img_path'] == [
        'fer2013.csv:5', str(root / 'masked' / 'fer0000003.png')
    ]
    assert info['masked'] == (False, True)
    assert (info['gt_label'], info['pair_id']) == (5, 'fer0000003')
    masked = FERPlus(str(root), split='val', masked_dir='masked',
                     views='masked')
    assert [masked.get_data_info(0)[k] for k in ('img_path', 'masked')] == [
        str(root / 'masked' / 'fer0000003.png'), True
    ]
    both = FERPlus(str(root), split='train', masked_dir='masked')
    assert [both.get_data_info(i)['masked'] for i in range(2)] == [
        False, True
    ]


def test_masked_views_need_masked_dir(mapping_root):
    for views in ('masked', 'paired'):
        with pytest.raises(ValueError, match='set masked_dir'):
            FERPlus(str(mapping_root), views=views)


def test_missing_masked_copy(mapping_root):
    (mapping_root / 'masked').mkdir()
    with pytest.raises(ValueError, match=r'fer2013new.csv:2: image not '
                       r'found: .*masked/fer0000000.png'):
        FERPlus(str(mapping_root), masked_dir='masked', views='masked')


@pytest.mark.parametrize('kwargs,match', [
    (dict(label_mode='soft'), r"FERPlus: label_mode must be one of "
     r"\('majority', 'probability', 'crossentropy'\), got 'soft'"),
    (dict(num_classes=6), 'FERPlus: num_classes must be 7 or 8'),
])
def test_bad_arguments(mapping_root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        FERPlus(str(mapping_root), **kwargs)


GOOD = 'Training,fer0000009.png,10,0,0,0,0,0,0,0,0,0'


@pytest.mark.parametrize('line,match', [
    ('Training,fer0000009.png,10,0,0,0,-1,0,0,0,0,0',
     r"fer2013new.csv:4: anger votes '-1' are not a non-negative integer"),
    ('Training,fer0000009.png,10,0,0,x,0,0,0,0,0,0',
     r"fer2013new.csv:4: sadness votes 'x' are not a non-negative"),
    ('Training,fer0000009.png,10,0,0,0,0,0,0,0,0',
     r'fer2013new.csv:4: 11 fields, expected 12'),
    ('Validation,fer0000009.png,10,0,0,0,0,0,0,0,0,0',
     r"fer2013new.csv:4: Usage 'Validation' is not one of \['Training', "
     r"'PublicTest', 'PrivateTest'\]"),
    ('PublicTest,fer0000009.png,10,0,0,0,0,0,0,0,0,0',
     r"fer2013new.csv:4: Usage 'PublicTest' disagrees with .*fer2013.csv:4 "
     r"\(Usage 'Training'\)"),
    ('Training,fer0000000.png,10,0,0,0,0,0,0,0,0,0',
     r"fer2013new.csv:4: image 'fer0000000' is listed twice \(first at "
     r'.*fer2013new.csv:2\)'),
    ('Training,../x.png,10,0,0,0,0,0,0,0,0,0',
     r"fer2013new.csv:4: Image name '../x.png' is not a file name"),
])
def test_bad_lines_are_named(tmp_path, fer_data, line, match):
    root = write_ferplus(tmp_path, fer_data, MAPPING_ROWS[:3])
    ann = root / 'fer2013new.csv'
    lines = ann.read_text().splitlines()
    lines[3] = line
    ann.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DataEntryError, match=match):
        FERPlus(str(root))
    # with on_error='skip' the line is logged and skipped
    assert len(FERPlus(str(root), on_error='skip', split='all')) == 2


def test_row_counts_must_match(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, MAPPING_ROWS[:3],
                         pixel_usages=['Training'] * 4)
    with pytest.raises(ValueError, match=r'fer2013new.csv has 3 data rows '
                       r'and .*fer2013.csv 4'):
        FERPlus(str(root))


def test_bad_pixels_are_named(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, MAPPING_ROWS[:2])
    pixels = root / 'fer2013.csv'
    pixels.write_text(pixels.read_text().replace(' 1', ' x', 1))
    with pytest.raises(DataEntryError,
                       match=r'fer2013.csv:\d: pixels are not'):
        FERPlus(str(root))


def test_missing_pixels_file(mapping_root):
    (mapping_root / 'fer2013.csv').unlink()
    with pytest.raises(FileNotFoundError, match='fer2013.csv'):
        FERPlus(str(mapping_root))


PACK = dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id'))
# (w, h): not square, so that a transposed image would not pass
SCALE = (40, 32)


def write_masked_copies(root):
    """48x48 masked copies of rows 0..2 as ``mask_dataset`` writes them:
    single-channel grey PNGs (rows 0 and 2) or BGR (row 1). Returns the
    expected BGR image of each copy, by pair id."""
    (root / 'masked').mkdir()
    expected = {}
    for i in range(3):
        rng = np.random.default_rng(100 + i)
        shape = (48, 48, 3) if i == 1 else (48, 48)
        face = rng.integers(0, 256, shape, np.uint8)
        path = str(root / 'masked' / name(i))
        assert cv2.imwrite(path, face)
        assert cv2.imread(path, cv2.IMREAD_UNCHANGED).shape == shape
        bgr = face if i == 1 else np.stack([face] * 3, axis=2)
        np.testing.assert_array_equal(cv2.imread(path), bgr)
        expected[f'fer{i:07d}'] = bgr
    return expected


def expected_inputs(bgr: np.ndarray) -> torch.Tensor:
    """What Resize + PackInputs make of a BGR image, computed with cv2."""
    resized = cv2.resize(bgr, SCALE, interpolation=cv2.INTER_LINEAR)
    return torch.from_numpy(resized.transpose(2, 0, 1).copy())


@pytest.fixture
def masked_root(tmp_path, fer_data):
    root = write_ferplus(tmp_path, fer_data, MAPPING_ROWS[:3])
    masked = write_masked_copies(root)
    non_masked = {
        f'fer{i:07d}': np.stack([fer_data.fer2013_pixels(i)] * 3, axis=2)
        for i in range(3)
    }
    return root, non_masked, masked


def test_both_views_through_a_real_pipeline(masked_root):
    """views='both': one pipeline takes the CSV pixels of the non-masked
    samples and reads the masked copies from their files."""
    root, non_masked, masked = masked_root
    ds = FERPlus(
        str(root),
        masked_dir='masked',
        views='both',
        pipeline=[
            dict(type='LoadFaceImage'),
            dict(type='Resize', scale=SCALE), PACK
        ])
    assert len(ds) == 6
    seen = set()
    for i in range(len(ds)):
        packed = ds[i]
        sample = packed['data_samples']
        inputs = packed['inputs']
        assert inputs.shape == (3, 32, 40) and inputs.dtype == torch.uint8
        source = masked if sample.masked else non_masked
        torch.testing.assert_close(inputs,
                                   expected_inputs(source[sample.pair_id]),
                                   rtol=0, atol=0)
        assert sample.subject == sample.pair_id
        assert sample.gt_label.tolist() == [
            SAME_CLASS[COLUMNS[int(sample.pair_id[3:])]][1]
        ]
        seen.add((sample.pair_id, sample.masked))
    assert seen == {(f'fer{i:07d}', m) for i in range(3) for m in (0, 1)}


@pytest.mark.parametrize('label_mode',
                         ['majority', 'crossentropy', 'probability'])
def test_paired_views_through_a_real_pipeline(masked_root, label_mode):
    """views='paired': [CSV pixels, masked file] loaded, resized alike and
    packed as two (3, H, W) tensors; the label modes work on pairs."""
    root, non_masked, masked = masked_root
    ds = FERPlus(
        str(root),
        masked_dir='masked',
        views='paired',
        label_mode=label_mode,
        pipeline=[
            dict(type='LoadImagePair'),
            dict(
                type='PairedTransform',
                transforms=[dict(type='Resize', scale=SCALE)]), PACK
        ])
    assert len(ds) == 3
    for i in range(3):
        pair_id = f'fer{i:07d}'
        info = ds.get_data_info(i)
        assert info['pair_id'] == pair_id
        assert info['img'][1] is None and info['img'][0].shape == (48, 48, 3)
        packed = ds[i]
        sample = packed['data_samples']
        assert isinstance(packed['inputs'], list)
        assert len(packed['inputs']) == 2
        for inputs, source in zip(packed['inputs'], (non_masked, masked)):
            assert inputs.shape == (3, 32, 40)
            torch.testing.assert_close(inputs,
                                       expected_inputs(source[pair_id]),
                                       rtol=0, atol=0)
        assert (sample.pair_id, sample.subject) == (pair_id, pair_id)
        assert tuple(sample.masked) == (False, True)
        label = SAME_CLASS[COLUMNS[i]][1]
        assert sample.gt_label.tolist() == [label]
        if label_mode == 'crossentropy':
            assert torch.equal(sample.gt_score,
                               torch.eye(8)[label])  # one-hot: 8 of 8
        else:
            assert 'gt_score' not in sample
