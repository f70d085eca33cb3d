import json
import os

import pytest
from mmpretrain.registry import DATASETS

from mmsde.datasets import FER_CLASSES, MaskedFERDataset, checks
from mmsde.datasets.annotation import to_openmmlab_format

HEADER = 'img_path,gt_label,masked,subject,pair_id,split'
ROWS = [
    # img_path, gt_label, masked, subject, pair_id, split
    ('plain/a.png', 'Happiness', '0', 's1', 'p1', 'train'),
    ('masked/a.png', '3', '1', 's1', 'p1', 'train'),
    ('plain/b.png', 'anger', 'false', 's2', 'p2', 'test'),
    ('masked/b.png', '5', 'TRUE', 's2', 'p2', 'test'),
]


def write_images(root, fer_data, paths):
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(fer_data.PNG)


@pytest.fixture
def csv_root(tmp_path, fer_data):
    write_images(tmp_path, fer_data, [r[0] for r in ROWS])
    lines = [HEADER] + [','.join(r) for r in ROWS]
    (tmp_path / 'ann.csv').write_text('\n'.join(lines) + '\n')
    return tmp_path


def write_jsonl(root, rows):
    text = '\n'.join(json.dumps(r) for r in rows)
    (root / 'ann.jsonl').write_text(text + '\n')


@pytest.mark.parametrize('split,expected', [
    ('train', [('plain/a.png', 3, False), ('masked/a.png', 3, True)]),
    ('test', [('plain/b.png', 5, False), ('masked/b.png', 5, True)]),
])
def test_csv_native_split(csv_root, split, expected):
    ds = MaskedFERDataset(str(csv_root), 'ann.csv', split=split)
    got = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(i['img_path'], i['gt_label'], i['masked']) for i in got] == [
        (str(csv_root / p), label, masked) for p, label, masked in expected
    ]
    assert {(i['subject'], i['pair_id']) for i in got} == {
        ('s1', 'p1') if split == 'train' else ('s2', 'p2')
    }


def test_jsonl_defaults_and_pairs(tmp_path, fer_data):
    rows = [
        dict(img_path='nm/x.png', gt_label=0, masked=False),
        dict(img_path='m/x.png', gt_label='Surprise', masked=1),
        dict(img_path='nm/y.png', gt_label=6, masked=0),
        dict(img_path='m/y.png', gt_label=6, masked=True),
    ]
    write_images(tmp_path, fer_data, [r['img_path'] for r in rows])
    write_jsonl(tmp_path, rows)
    ds = DATASETS.build(
        dict(
            type='MaskedFERDataset',
            data_root=str(tmp_path),
            ann_file='ann.jsonl',
            split='all',
            views='paired'))
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['img_path'] == [str(tmp_path / 'nm/y.png'),
                                str(tmp_path / 'm/y.png')]
    # pair_id defaults to the file stem, subject to the pair_id
    assert info['gt_label'] == 6
    assert info['pair_id'] == info['subject'] == 'y'


def test_subject_folds(tmp_path, fer_data):
    rows = [
        dict(img_path=f'{m}/{s}_{k}.png', gt_label=k, masked=m == 'm',
             subject=f's{s}', pair_id=f'{s}_{k}')
        for s in range(1, 7) for k in range(2) for m in ('nm', 'm')
    ]
    write_images(tmp_path, fer_data, [r['img_path'] for r in rows])
    write_jsonl(tmp_path, rows)
    seen = []
    for fold in range(3):
        test = MaskedFERDataset(
            str(tmp_path),
            'ann.jsonl',
            split='test',
            fold=fold,
            num_folds=3,
            serialize_data=False)
        subjects = {test.get_data_info(i)['subject'] for i in range(len(test))}
        assert subjects == {f's{2 * fold + 1}', f's{2 * fold + 2}'}
        assert len(test) == 2 * 2 * 2
        seen.extend(subjects)
    assert sorted(seen) == [f's{s}' for s in range(1, 7)]


@pytest.mark.parametrize('row,match', [
    ('plain/c.png,9,0,s3,p3,train', r"ann.csv:6: plain/c.png: label '9' is "
     r'neither a class index 0..6 nor a class name'),
    ('plain/c.png,Joy,0,s3,p3,train', r"ann.csv:6: plain/c.png: label 'Joy' "
     r'is neither a class index 0..6 nor a class name'),
    ('plain/c.png,1,maybe,s3,p3,train', r"ann.csv:6: plain/c.png: "
     r"masked='maybe' is not one of 0, 1, true, false"),
    ('plain/c.png,,0,s3,p3,train', r"ann.csv:6: missing required field "
     r"'gt_label'"),
    ('plain/c.png,1,0', r'ann.csv:6: 3 fields, expected 6'),
    ('../outside.png,1,0,s3,p3,train', r'ann.csv:6: image .*outside.png '
     r'resolves to .*outside the dataset root'),
    ('plain/missing.png,1,0,s3,p3,train', r'ann.csv:6: image not found: '
     r'.*plain/missing.png'),
    ('plain/a.png,3,0,s1,p1,train', r'ann.csv:6: .*plain/a.png is listed '
     r'twice \(first at .*ann.csv:2\)'),
])
def test_csv_errors_name_file_and_line(csv_root, fer_data, row, match):
    (csv_root.parent / 'outside.png').write_bytes(fer_data.PNG)
    with open(csv_root / 'ann.csv', 'a') as f:
        f.write(row + '\n')
    with pytest.raises(ValueError, match=match):
        MaskedFERDataset(str(csv_root), 'ann.csv', split='train')


def test_jsonl_errors(tmp_path):
    (tmp_path / 'ann.jsonl').write_text(
        '{"img_path": "a.png", "gt_label": 1, "masked": 0}\n'
        '{"img_path": "b"}\n')
    with pytest.raises(ValueError, match=r"ann.jsonl:2: missing required "
                       r"field 'gt_label'"):
        MaskedFERDataset(str(tmp_path), 'ann.jsonl', split='all')
    (tmp_path / 'ann.jsonl').write_text('{"img_path": "a.png"\n')
    with pytest.raises(ValueError, match=r'ann.jsonl:1: invalid JSON'):
        MaskedFERDataset(str(tmp_path), 'ann.jsonl', split='all')


def test_csv_missing_column(tmp_path):
    (tmp_path / 'ann.csv').write_text('img_path,label\na.png,1\n')
    with pytest.raises(ValueError, match=r"ann.csv:1: header \['img_path', "
                       r"'label'\] lacks the column\(s\) \['gt_label', "
                       r"'masked'\]"):
        MaskedFERDataset(str(tmp_path), 'ann.csv', split='all')


def test_split_errors(csv_root):
    with pytest.raises(ValueError, match=r"split='val' is not a native split"
                       r" of this dataset \['test', 'train'\]"):
        MaskedFERDataset(str(csv_root), 'ann.csv', split='val')
    # the only test image is masked: no non-masked test sample
    (csv_root / 'only_masked.csv').write_text(
        HEADER + '\nmasked/b.png,5,1,s2,p2,test\nplain/a.png,3,0,s1,p1,'
        'train\n')
    with pytest.raises(ValueError, match=r"no samples for split='test'.*"
                       r"views='non_masked'.*Options"):
        MaskedFERDataset(
            str(csv_root), 'only_masked.csv', split='test',
            views='non_masked')
    (csv_root / 'nosplit.csv').write_text(
        'img_path,gt_label,masked\nplain/a.png,3,0\n')
    with pytest.raises(ValueError, match='MaskedFERDataset has no native '
                       'split: set fold'):
        MaskedFERDataset(str(csv_root), 'nosplit.csv')


def test_mixed_split_values(csv_root):
    (csv_root / 'mixed.csv').write_text(
        HEADER + '\nplain/a.png,3,0,s1,p1,train\nplain/b.png,5,0,s2,p2,\n')
    with pytest.raises(ValueError, match=r'mixed.csv:3 .*plain/b.png\) has no '
                       'split while other entries do'):
        MaskedFERDataset(str(csv_root), 'mixed.csv')


def test_paired_label_mismatch(csv_root):
    (csv_root / 'bad_pair.csv').write_text(
        HEADER + '\nplain/a.png,3,0,s1,p1,train\nmasked/a.png,4,1,s1,p1,'
        'train\n')
    with pytest.raises(ValueError, match=r"pair 'p1': .*plain/a.png \(label 3"
                       r".*masked/a.png \(label 4.*disagree"):
        MaskedFERDataset(str(csv_root), 'bad_pair.csv', views='paired')


def test_skip_logs_each_and_count(csv_root, mm_log):
    with open(csv_root / 'ann.csv', 'a') as f:
        f.write('plain/c.png,9,0,s3,p3,train\n')
        f.write('../etc/passwd,1,0,s3,p3,train\n')
    ds = MaskedFERDataset(
        str(csv_root), 'ann.csv', split='train', on_error='skip')
    assert len(ds) == 2
    skipped = [m for m in mm_log if m.startswith('MaskedFERDataset: skipped')]
    assert len(skipped) == 2
    assert any('plain/c.png' in m and "label '9'" in m for m in skipped)
    assert any('passwd' in m and 'outside the dataset root' in m
               for m in skipped)
    assert any('2 bad entries skipped' in m for m in mm_log)


def test_images_verified_once(csv_root, monkeypatch):
    opened = []
    real_open = checks.Image.open

    def counting_open(fp, *args, **kwargs):
        opened.append(str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(checks.Image, 'open', counting_open)
    monkeypatch.setattr(checks, '_VERIFIED', {})
    MaskedFERDataset(str(csv_root), 'ann.csv', split='all')
    first = sorted(opened)
    assert len(first) == len(set(first)) > 0
    opened.clear()
    MaskedFERDataset(str(csv_root), 'ann.csv', split='train')
    MaskedFERDataset(str(csv_root), 'ann.csv', split='all', fold=0,
                     num_folds=2)
    assert opened == []  # remembered across builds, splits and folds
    changed = csv_root / 'plain' / 'a.png'
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    MaskedFERDataset(str(csv_root), 'ann.csv', split='all')
    assert opened == [str(changed)]  # a changed file is checked again


def test_openmmlab_json_matches_csv(csv_root, tmp_path):
    ann = to_openmmlab_format((csv_root / 'ann.csv').read_text(), 'ann.csv',
                              FER_CLASSES)
    assert ann['metainfo'] == dict(classes=list(FER_CLASSES))
    (csv_root / 'ann.json').write_text(json.dumps(ann))
    for split in ('train', 'test'):
        a = MaskedFERDataset(str(csv_root), 'ann.csv', split=split)
        b = MaskedFERDataset(str(csv_root), 'ann.json', split=split)
        assert [a.get_data_info(i) for i in range(len(a))] == \
            [b.get_data_info(i) for i in range(len(b))]


def test_openmmlab_json_errors(tmp_path):
    ann = dict(metainfo=dict(classes=['a', 'b']), data_list=[])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    with pytest.raises(ValueError, match=r"ann.json: metainfo classes "
                       r"\['a', 'b'\] differ from the dataset classes"):
        MaskedFERDataset(str(tmp_path), 'ann.json', split='all')
    ann = dict(metainfo={}, data_list=[
        dict(img_path='a.png', gt_label=1, masked=0), 'oops'])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    with pytest.raises(ValueError, match=r'ann.json:data_list\[1\]: expected '
                       'an object'):
        MaskedFERDataset(str(tmp_path), 'ann.json', split='all')
    ann = dict(metainfo={}, data_list={'img_path': 'a.png'})
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    with pytest.raises(ValueError, match='data_list a list'):
        MaskedFERDataset(str(tmp_path), 'ann.json', split='all')
