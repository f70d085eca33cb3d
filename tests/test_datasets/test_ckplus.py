import io
import re
from pathlib import Path
from typing import Optional, Sequence, Tuple

import pytest
from mmpretrain.registry import DATASETS
from PIL import Image

from mmsde.datasets.checks import DataEntryError
# importing mmsde.datasets.ckplus registers CKPlus in DATASETS
from mmsde.datasets.ckplus import (CKPLUS_CODES, CKPLUS_TO_FER_CLASSES,
                                   CKPlus, parse_emotion)
from mmsde.utils.classes import FER_CLASSES, FER_CLASSES_8

# (subject, sequence, number of frames, CK+ emotion code or None)
SEQUENCES = [
    ('S005', '001', 5, 3),  # disgust
    ('S005', '002', 4, None),  # no emotion file
    ('S010', '001', 4, 2),  # contempt
    ('S010', '002', 6, 5),  # happy
    ('S011', '001', 4, 1),  # anger
    ('S011', '003', 5, 7),  # surprise
    ('S022', '001', 4, 4),  # fear
    ('S022', '002', 4, 6),  # sadness
]
SUBJECTS = ['S005', 'S010', 'S011', 'S022']
SADNESS_FILE = 'Emotion/S022/002/S022_002_00000004_emotion.txt'

# last_frames=3, 7 classes: (image stem, mmsde label); contempt left out
DEFAULT_FRAMES = [
    ('S005_001_00000003', 2), ('S005_001_00000004', 2),
    ('S005_001_00000005', 2),
    ('S010_002_00000004', 3), ('S010_002_00000005', 3),
    ('S010_002_00000006', 3),
    ('S011_001_00000002', 5), ('S011_001_00000003', 5),
    ('S011_001_00000004', 5),
    ('S011_003_00000003', 0), ('S011_003_00000004', 0),
    ('S011_003_00000005', 0),
    ('S022_001_00000002', 1), ('S022_001_00000003', 1),
    ('S022_001_00000004', 1),
    ('S022_002_00000002', 4), ('S022_002_00000003', 4),
    ('S022_002_00000004', 4),
]
# last_frames=1, neutral_first=True, 8 classes
NEUTRAL_FIRST_FRAMES = [
    ('S005_001_00000001', 6), ('S005_001_00000005', 2),
    ('S010_001_00000001', 6), ('S010_001_00000004', 7),
    ('S010_002_00000001', 6), ('S010_002_00000006', 3),
    ('S011_001_00000001', 6), ('S011_001_00000004', 5),
    ('S011_003_00000001', 6), ('S011_003_00000005', 0),
    ('S022_001_00000001', 6), ('S022_001_00000004', 1),
    ('S022_002_00000001', 6), ('S022_002_00000004', 4),
]


def png(value: int) -> bytes:
    """A 4x4 PNG of one grey value."""
    buf = io.BytesIO()
    Image.new('RGB', (4, 4), (value, ) * 3).save(buf, 'PNG')
    return buf.getvalue()


def emotion_text(code) -> str:
    """An emotion file as CK+ writes it: ``'   3.0000000e+00'``."""
    return f'   {code:.7e}\n'


def write_ckplus(root: Path,
                 sequences: Sequence[Tuple[str, str, int, Optional[int]]],
                 masked_dir: Optional[str] = None) -> Path:
    """Write CK+'s folders: images (+ masked copies), emotion files and a
    landmark file (which the loader ignores)."""
    folders = ['cohn-kanade-images'] + ([masked_dir] if masked_dir else [])
    for subject, seq, num_frames, code in sequences:
        stems = [f'{subject}_{seq}_{i:08d}' for i in range(1, num_frames + 1)]
        for k, folder in enumerate(folders):
            path = root / folder / subject / seq
            path.mkdir(parents=True)
            for i, stem in enumerate(stems):
                (path / f'{stem}.png').write_bytes(png(10 * i + 100 * k))
        if code is not None:
            path = root / 'Emotion' / subject / seq
            path.mkdir(parents=True)
            (path / f'{stems[-1]}_emotion.txt').write_text(emotion_text(code))
    subject, seq = sequences[0][:2]
    marks = root / 'Landmarks' / subject / seq
    marks.mkdir(parents=True)
    (marks / f'{subject}_{seq}_00000001_landmarks.txt').write_text(
        '1.0 2.0\n' * 68)
    (root / 'cohn-kanade-images' / subject / seq / 'Thumbs.db').write_bytes(
        b'not an image')
    return root


@pytest.fixture
def ck_root(tmp_path) -> Path:
    return write_ckplus(tmp_path / 'ckplus', SEQUENCES)


def infos_of(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def frames_of(ds):
    return [(info['pair_id'], info['gt_label']) for info in infos_of(ds)]


def subjects_of(ds):
    return {info['subject'] for info in infos_of(ds)}


def test_code_mapping_against_names():
    codes = {0: 'neutral', 1: 'anger', 2: 'contempt', 3: 'disgust',
             4: 'fear', 5: 'happy', 6: 'sadness', 7: 'surprise'}
    names = {'neutral': 'Neutral', 'anger': 'Anger', 'contempt': 'Contempt',
             'disgust': 'Disgust', 'fear': 'Fear', 'happy': 'Happiness',
             'sadness': 'Sadness', 'surprise': 'Surprise'}
    labels = {0: 6, 1: 5, 2: 7, 3: 2, 4: 1, 5: 3, 6: 4, 7: 0}
    assert CKPLUS_CODES == tuple(codes[i] for i in range(8))
    for code, name in codes.items():
        assert CKPLUS_TO_FER_CLASSES[code] == labels[code]
        assert FER_CLASSES_8[labels[code]] == names[name]


@pytest.mark.parametrize('code', range(1, 8))
def test_every_code_parses(code):
    assert parse_emotion(emotion_text(code), 'e.txt:1') == code


@pytest.mark.parametrize('text,code', [
    ('3', 3), ('+7.', 7), ('0.5e1\n', 5), ('\ufeff 1.0E+00 \r\n', 1),
    ('\n\n   6.0000000e+00\n\n', 6)
])
def test_number_forms(text, code):
    assert parse_emotion(text, 'e.txt:1') == code


@pytest.mark.parametrize('text', [
    '', ' \n', '3 4', '3\n4', 'happy', 'nan', 'inf', '1_0', '٣', '3.5',
    '0', '0.0000000e+00', '8', '-1', '7.0000001', '1e400', '0x3'
])
def test_bad_emotion_text(text):
    with pytest.raises(DataEntryError, match=r'^e\.txt:1: '):
        parse_emotion(text, 'e.txt:1')


def test_default_protocol(ck_root, mm_log):
    ds = CKPlus(str(ck_root), split='all')
    assert ds.CLASSES == FER_CLASSES
    assert frames_of(ds) == DEFAULT_FRAMES
    assert ds.excluded == {'no emotion file': 1, 'contempt (7 classes)': 1}
    left_out = [m for m in mm_log if 'sequences left out' in m]
    assert left_out == ["CKPlus: sequences left out: {'no emotion file': 1, "
                        "'contempt (7 classes)': 1}"]
    info = ds.get_data_info(0)
    assert info['img_path'] == str(
        ck_root / 'cohn-kanade-images/S005/001/S005_001_00000003.png')
    assert (info['masked'], info['subject']) == (False, 'S005')


def test_neutral_first_with_contempt(ck_root):
    ds = CKPlus(str(ck_root), split='all', last_frames=1,
                neutral_first=True, num_classes=8)
    assert ds.CLASSES == FER_CLASSES_8
    assert frames_of(ds) == NEUTRAL_FIRST_FRAMES
    assert ds.excluded == {'no emotion file': 1}


def test_short_sequences_are_counted(ck_root):
    ds = CKPlus(str(ck_root), split='all', last_frames=4,
                neutral_first=True)
    assert [s for s, _ in frames_of(ds)] == [
        'S005_001_00000001', 'S005_001_00000002', 'S005_001_00000003',
        'S005_001_00000004', 'S005_001_00000005', 'S010_002_00000001',
        'S010_002_00000003', 'S010_002_00000004', 'S010_002_00000005',
        'S010_002_00000006', 'S011_003_00000001', 'S011_003_00000002',
        'S011_003_00000003', 'S011_003_00000004', 'S011_003_00000005'
    ]
    assert ds.excluded == {'no emotion file': 1, 'contempt (7 classes)': 1,
                           'fewer than 5 frames': 3}


def test_no_native_split(ck_root):
    with pytest.raises(ValueError, match='CKPlus has no native split: set '
                       r'fold \(0..num_folds-1\)'):
        CKPlus(str(ck_root))


@pytest.mark.parametrize('num_folds', [2, 4])
def test_subject_disjoint_folds(ck_root, num_folds):
    tested = []
    for fold in range(num_folds):
        train, test = (CKPlus(str(ck_root), split=split, fold=fold,
                              num_folds=num_folds) for split in
                       ('train', 'test'))
        train_subjects, test_subjects = subjects_of(train), subjects_of(test)
        assert not train_subjects & test_subjects
        assert sorted(train_subjects | test_subjects) == SUBJECTS
        assert len(train) + len(test) == len(DEFAULT_FRAMES)
        tested += sorted(test_subjects)
    assert tested == SUBJECTS


def test_registry_build(ck_root):
    ds = DATASETS.build(dict(type='CKPlus', data_root=str(ck_root), fold=0,
                             num_folds=2))
    assert isinstance(ds, CKPlus) and not ds.test_mode
    assert subjects_of(ds) == {'S011', 'S022'}
    assert len(ds) == 12


def test_masked_copies_pair_up(tmp_path):
    root = write_ckplus(tmp_path / 'ck', SEQUENCES, masked_dir='masked')
    both = CKPlus(str(root), split='all', masked_dir='masked')
    assert len(both) == 2 * len(DEFAULT_FRAMES)
    assert [both.get_data_info(i)['masked'] for i in range(4)] == [
        False, True, False, True]
    pairs = CKPlus(str(root), split='all', masked_dir='masked',
                   views='paired')
    assert frames_of(pairs) == DEFAULT_FRAMES
    info = pairs.get_data_info(len(pairs) - 1)
    assert info['img_path'] == [
        str(root / 'cohn-kanade-images/S022/002/S022_002_00000004.png'),
        str(root / 'masked/S022/002/S022_002_00000004.png')
    ]
    assert info['masked'] == (False, True)
    masked = CKPlus(str(root), split='all', masked_dir='masked',
                    views='masked')
    assert all(masked.get_data_info(i)['img_path'].startswith(
        str(root / 'masked')) for i in range(len(masked)))
    missing = root / 'masked/S011/001/S011_001_00000003.png'
    missing.unlink()
    with pytest.raises(DataEntryError,
                       match=re.escape(f'image not found: {missing}')):
        CKPlus(str(root), split='all', masked_dir='masked')


@pytest.mark.parametrize('views', ['masked', 'paired'])
def test_masked_views_need_masked_dir(ck_root, views):
    with pytest.raises(ValueError, match='set masked_dir'):
        CKPlus(str(ck_root), split='all', views=views)


@pytest.mark.parametrize('text,match', [
    ('happy\n', r"expected one number \(a CK\+ emotion code 1..7\), got "
     r"'happy\\n'"),
    ('   8.0000000e+00\n', r"emotion code '8.0000000e\+00' is not a whole "
     r'number in 1..7'),
    ('   0.0000000e+00\n', r"emotion code '0.0000000e\+00' is not"),
    ('   2.5000000e+00\n', r"emotion code '2.5000000e\+00' is not"),
])
def test_bad_emotion_file_is_named(ck_root, text, match):
    (ck_root / SADNESS_FILE).write_text(text)
    with pytest.raises(DataEntryError,
                       match=re.escape(SADNESS_FILE) + ':1: ' + match):
        CKPlus(str(ck_root), split='all')


@pytest.mark.parametrize('frame,match', [
    ('00000009', "names frame 'S022_002_00000009', which is not an image "
     'in {seq}'),
    ('00000003', "names frame 'S022_002_00000003.png', but the last frame "
     "of {seq} is 'S022_002_00000004.png'"),
])
def test_emotion_file_names_the_last_frame(ck_root, frame, match):
    seq = ck_root / 'Emotion/S022/002'
    name = f'S022_002_{frame}_emotion.txt'
    (seq / 'S022_002_00000004_emotion.txt').rename(seq / name)
    images = ck_root / 'cohn-kanade-images/S022/002'
    with pytest.raises(DataEntryError, match=re.escape(
            f'Emotion/S022/002/{name}:1: ' + match.format(seq=images))):
        CKPlus(str(ck_root), split='all')


def test_sequence_without_images(ck_root):
    for image in (ck_root / 'cohn-kanade-images/S022/002').iterdir():
        image.unlink()
    with pytest.raises(DataEntryError,
                       match=re.escape(SADNESS_FILE) + ':1: the sequence '
                       'folder .* has no images'):
        CKPlus(str(ck_root), split='all')


def test_two_emotion_files(ck_root):
    (ck_root / 'Emotion/S022/002/S022_002_00000005_emotion.txt').write_text(
        emotion_text(6))
    with pytest.raises(DataEntryError, match=re.escape(
            'Emotion/S022/002/S022_002_00000005_emotion.txt:1: sequence '
            'S022/002 has 2 emotion files')):
        CKPlus(str(ck_root), split='all')


def test_skip_logs_the_bad_sequence(ck_root, mm_log):
    (ck_root / SADNESS_FILE).write_text('happy\n')
    ds = CKPlus(str(ck_root), split='all', on_error='skip')
    assert frames_of(ds) == DEFAULT_FRAMES[:-3]
    assert any(m.startswith(f'CKPlus: skipped {SADNESS_FILE}:1: ')
               for m in mm_log)
    assert any('CKPlus: 1 bad entries skipped' in m for m in mm_log)


@pytest.mark.parametrize('folder', ['Emotion', 'cohn-kanade-images'])
def test_missing_folder(ck_root, folder):
    (ck_root / folder).rename(ck_root / 'elsewhere')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f'{ck_root / folder} not found')):
        CKPlus(str(ck_root), split='all')


@pytest.mark.parametrize('kwargs,match', [
    (dict(num_classes=6), 'num_classes must be 7 or 8'),
    (dict(last_frames=0), 'CKPlus: last_frames must be an integer >= 1'),
])
def test_bad_arguments(ck_root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        CKPlus(str(ck_root), split='all', **kwargs)
