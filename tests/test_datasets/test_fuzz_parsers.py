"""Fuzzing every parser of user input with hypothesis: random text and
valid files mutated at random. Each input either parses completely (one
record per entry: nothing dropped) or raises a DataEntryError / ValueError
that names the file (and the line, for an entry); never another exception.

Examples per parser are set so that the total is above 10,000
(``FUZZ_EXAMPLES`` sums them); the runs are derandomised, so CI is
reproducible.
"""
import csv
import io
import json
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mmsde.apis.kfold import fold_placeholders
from mmsde.datasets import FER2013, MSDE, RAFDB, MaskedFERDataset
from mmsde.datasets.affectnet import AFFECTNET_COLUMNS, read_affectnet_list
from mmsde.datasets.checks import DataEntryError
from mmsde.datasets.crop_manifest import read_manifest
from mmsde.datasets.fer2013 import decode_pixels
from mmsde.datasets.msde import parse_msde_name

FUZZ_EXAMPLES = dict(msde_name=1500, msde_pairs=2000, annotation=2500,
                     rafdb=1500, fer2013=1500, fold_option=1000,
                     crop_manifest=1000, affectnet=1000)


def fuzz(name):
    return settings(max_examples=FUZZ_EXAMPLES[name], deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# text with the characters that matter to these formats, and any other
TOKENS = st.sampled_from([',', '_', ' ', '\t', '\n', '\r', '"', '{', '}',
                          ':', '.', '/', '..', '0', '1', '7', '9', '-1',
                          '²', '٣', 'ﬁ', '\x00', '\ufeff', 'null', 'true',
                          'jpg', 'img_path', 'gt_label', 'masked'])
TEXT = st.one_of(st.text(max_size=200),
                 st.lists(st.one_of(TOKENS, st.text(max_size=5)),
                          max_size=40).map(''.join))


@st.composite
def mutated(draw, valid_text: str) -> str:
    """``valid_text`` with a few random insertions, deletions, replacements
    and duplicated or dropped lines."""
    text = valid_text
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(['insert', 'delete', 'replace', 'line']))
        pos = draw(st.integers(0, len(text)))
        if op == 'insert':
            text = text[:pos] + draw(st.one_of(TOKENS, TEXT)) + text[pos:]
        elif op == 'delete':
            text = text[:pos] + text[pos + draw(st.integers(1, 8)):]
        elif op == 'replace' and text:
            text = text[:pos] + draw(TOKENS) + text[pos + 1:]
        else:
            lines = text.split('\n')
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i]) if draw(st.booleans()) else lines.pop(i)
            text = '\n'.join(lines)
    return text


def inputs(valid_text: str):
    return st.one_of(TEXT, mutated(valid_text))


def assert_names(err: Exception, path: str) -> None:
    assert isinstance(err, ValueError), f'{type(err).__name__}: {err}'
    assert path in str(err), f'the error does not name {path}: {err}'
    if isinstance(err, DataEntryError):
        assert re.search(re.escape(path) + r':(\d+|data_list\[\d+\])',
                         str(err)), f'no line in: {err}'


def load(dataset_cls, root, ann_name, text, **kwargs):
    """Records of ``text`` as the dataset's annotation file, or None when
    the dataset refused it with an error that names the file (asserted)."""
    (root / ann_name).write_text(text, encoding='utf-8', newline='')
    dataset = dataset_cls(data_root=str(root), ann_file=ann_name,
                          lazy_init=True, **kwargs)
    try:
        return dataset.load_records()
    except Exception as err:  # noqa: B902  (the property under test)
        assert_names(err, ann_name)
        return None


def as_read(root, ann_name) -> str:
    """The file as a text reader sees it: universal newlines, no BOM."""
    return (root / ann_name).read_text(encoding='utf-8').lstrip('\ufeff')


def data_lines(text: str):
    return [ln for ln in text.splitlines() if ln.strip()]


@fuzz('msde_name')
@given(inputs('12_3_001.jpg'))
def test_msde_file_names(name):
    try:
        subject, label, stem = parse_msde_name(name, 'Paired_files.txt:7')
    except DataEntryError as err:
        assert 'Paired_files.txt:7' in str(err)
        return
    assert name.startswith(f'{subject}_{label}_') or name.startswith(
        f'{subject}_0')
    assert stem and name.startswith(stem)


VALID_PAIRS = '1_0_a.jpg\n1_3_b.jpg,extra\n22_6_c.png\n'


HUGE_FIELD = '1_2_' + 'x' * 200_000  # over the csv module's field limit


@fuzz('msde_pairs')
@given(text=inputs(VALID_PAIRS))
@example(text=HUGE_FIELD)
def test_msde_pair_list(tmp_path_factory, text):
    root = tmp_path_factory.mktemp('msde', numbered=True)
    records = load(MSDE, root, 'Paired_files.txt', text)
    if records is None:
        return
    # two records (non-masked, masked) per CSV row: nothing dropped
    text_read = as_read(root, 'Paired_files.txt')
    rows = [r for r in csv.reader(io.StringIO(text_read))
            if any(f.strip() for f in r)]
    assert len(records) == 2 * len(rows)


VALID_CSV = ('img_path,gt_label,masked,subject\n'
             'a/1.png,3,0,s1\na/2.png,Happiness,true,s1\n')
VALID_JSONL = (json.dumps(dict(img_path='a/1.png', gt_label=3, masked=0)) +
               '\n' + json.dumps(dict(img_path='b.png', gt_label='Fear')) +
               '\n')
VALID_JSON = json.dumps(dict(metainfo=dict(classes=None), data_list=[
    dict(img_path='a/1.png', gt_label=1)]))


@fuzz('annotation')
@given(text=st.one_of(inputs(VALID_CSV), inputs(VALID_JSONL),
                      inputs(VALID_JSON)))
@example(text='{"metainfo": {"classes": 5}, "data_list": []}')
@example(text='img_path,gt_label\n' + HUGE_FIELD)
def test_annotation_files(tmp_path_factory, text):
    root = tmp_path_factory.mktemp('ann', numbered=True)
    records = load(MaskedFERDataset, root, 'ann.csv', text)
    if records is None:
        return
    assert len(records) == count_entries(as_read(root, 'ann.csv'))
    assert all(isinstance(r.gt_label, int) and 0 <= r.gt_label < 7
               for r in records)


def count_entries(text: str) -> int:
    """Entries of an annotation by its documented format rules: OpenMMLab
    JSON (``data_list``), JSON lines (first character ``{``), else CSV with
    a header row."""
    if text.lstrip().startswith('{'):
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict) and 'data_list' in whole:
            return len(whole['data_list'])
        return len(data_lines(text))
    rows = [r for r in csv.reader(io.StringIO(text))
            if any(f.strip() for f in r)]
    return max(len(rows) - 1, 0)


VALID_RAF = 'train_00001.jpg 5\ntest_0002.jpg 1\n'


@fuzz('rafdb')
@given(text=inputs(VALID_RAF))
def test_rafdb_label_list(tmp_path_factory, text):
    root = tmp_path_factory.mktemp('raf', numbered=True)
    records = load(RAFDB, root, 'list.txt', text)
    if records is None:
        return
    assert len(records) == len(data_lines(as_read(root, 'list.txt')))
    assert all(0 <= r.gt_label < 7 for r in records)


PIXELS = ' '.join(str(i % 256) for i in range(48 * 48))
VALID_FER = (f'emotion,pixels,Usage\n3,{PIXELS},Training\n'
             f'0,{PIXELS},PublicTest\n')


@fuzz('fer2013')
@given(text=st.one_of(inputs(VALID_FER), mutated(VALID_FER)))
def test_fer2013_csv(tmp_path_factory, text):
    root = tmp_path_factory.mktemp('fer', numbered=True)
    records = load(FER2013, root, 'fer.csv', text)
    if records is None:
        return
    assert len(records) == len(data_lines(as_read(root, 'fer.csv'))) - 1
    assert all(r.img.shape == (48, 48) for r in records)


@fuzz('fold_option')
@given(value=st.one_of(TEXT, st.integers(), st.none()),
       fold=st.integers(0, 99))
def test_fold_placeholder(value, fold):
    out = fold_placeholders({'model.teacher_ckpt': value}, fold)
    got = out['model.teacher_ckpt']
    if isinstance(value, str):
        assert got == value.replace('{fold}', str(fold))
        assert '{fold}' not in got or '{fold}' in value.replace(
            '{fold}', '')
    else:
        assert got == value


VALID_MANIFEST = (
    '{"image":"MSD-E/1_3_a.jpg","decision":"one_face","num_detected":1,'
    '"image_size":[200,160],"crops":[{"file":"MSD-E/1_3_a.jpg","method":'
    '"aligned_5pt","box":[1,2,30,40],"score":0.99,"landmarks":null,'
    '"crop_landmarks":null}]}\n'
    '{"image":"x/empty.png","decision":"no_face:skip","num_detected":0,'
    '"image_size":[50,50],"crops":[]}\n')


@fuzz('crop_manifest')
@given(text=inputs(VALID_MANIFEST))
def test_crop_manifest(tmp_path_factory, text):
    """A manifest read back: an entry per distinct image of its complete
    lines (a repeated image: the redone one), or an error naming the file
    and line."""
    path = tmp_path_factory.mktemp('manifest', numbered=True) / 'm.jsonl'
    path.write_text(text, encoding='utf-8', newline='')
    try:
        entries = read_manifest(path)
    except Exception as err:  # noqa: B902  (the property under test)
        assert_names(err, 'm.jsonl')
        return
    lines = path.read_bytes().decode('utf-8').split('\n')[:-1]
    assert sorted(entries) == sorted({json.loads(ln)['image']
                                      for ln in lines})


def test_fuzzing_covers_ten_thousand_inputs():
    assert sum(FUZZ_EXAMPLES.values()) >= 10_000


@pytest.mark.parametrize('pixels', ['1 2 x', '1 ' * 2303 + '256', '²'])
def test_fer2013_pixels_errors_name_the_line(pixels):
    with pytest.raises(DataEntryError, match='fer.csv:9'):
        decode_pixels(pixels, 'fer.csv:9')


LANDMARKS = ';'.join(str(k) for k in range(136))
VALID_AFFECTNET = (','.join(AFFECTNET_COLUMNS) + '\n'
                   f'1/a.jpg,0,0,9,9,{LANDMARKS},3,0.5,0.1\n'
                   '2/b.jpg,1,1,8,8,,10,-2,-2\n')


@fuzz('affectnet')
@given(text=inputs(VALID_AFFECTNET))
def test_affectnet_list(text):
    """Every data row parses (one row each, nothing dropped) or the list is
    refused naming the file (and the line)."""
    try:
        rows = list(read_affectnet_list(text, 'training.csv'))
    except Exception as err:  # noqa: B902  (the property under test)
        assert_names(err, 'training.csv')
        return
    assert len(rows) == len(data_lines(text.lstrip('\ufeff'))) - 1
    for source, row in rows:
        assert source.startswith('training.csv:')
        assert 0 <= row.expression <= 10 and min(row.box) >= 0
        assert row.landmarks is None or row.landmarks.shape == (68, 2)
