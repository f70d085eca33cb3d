"""Fuzzing the FERPlus reader with hypothesis, like ``test_fuzz_parsers``:
each ``fer2013new.csv`` either loads with every row accounted for (a
record or a counted exclusion) or raises a DataEntryError / ValueError that
names the file (and the line, for an entry); never another exception.
Random vote tables are also checked against the paper's label rules.
"""
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_parsers import (as_read, assert_names, data_lines, inputs,
                               mutated)

from mmsde.datasets.ferplus import LABEL_MODES, FERPlus

FUZZ_EXAMPLES = dict(text=2000, votes=500)


def fuzz(name):
    return settings(max_examples=FUZZ_EXAMPLES[name], deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


HEADER = ('Usage,Image name,neutral,happiness,surprise,sadness,anger,'
          'disgust,fear,contempt,unknown,NF')
COLUMNS = HEADER.split(',')[2:]
# emotion column -> mmsde label, written out independently of the code
LABEL_OF = dict(neutral=6, happiness=3, surprise=0, sadness=4, anger=5,
                disgust=2, fear=1, contempt=7)
PIXEL_USAGES = ('Training', 'Training', 'PublicTest', 'PrivateTest')
PIXELS = ' '.join(str(i % 256) for i in range(48 * 48))
BODY = ('Training,fer0000000.png,8,1,1,0,0,0,0,0,0,0\n'
        'Training,,0,0,0,0,0,0,0,0,2,8\n'
        'PublicTest,fer0000002.png,0,3,0,0,0,0,2,5,0,0\n'
        'PrivateTest,fer0000003.png,4,0,0,2,0,0,0,0,2,2\n')
VALID = HEADER + '\n' + BODY
# random text, mutations anywhere, and mutations of the rows only (most
# mutations of the whole file hit its long header)
TEXTS = st.one_of(inputs(VALID), mutated(VALID),
                  mutated(BODY).map(lambda body: HEADER + '\n' + body))


@pytest.fixture(scope='module')
def pixels_path(tmp_path_factory):
    """FER2013's CSV for the rows of ``VALID``, shared by every example."""
    path = tmp_path_factory.mktemp('fer2013') / 'fer2013.csv'
    path.write_text('emotion,pixels,Usage\n' + ''.join(
        f'0,{PIXELS},{usage}\n' for usage in PIXEL_USAGES))
    return str(path)


def load(root, text, pixels_path, **kwargs):
    """The dataset with its records loaded, or None when it refused ``text``
    with an error that names the file (asserted)."""
    (root / 'fer2013new.csv').write_text(text, encoding='utf-8', newline='')
    dataset = FERPlus(data_root=str(root), pixels_file=pixels_path,
                      lazy_init=True, **kwargs)
    try:
        dataset.records = dataset.load_records()
    except Exception as err:  # noqa: B902  (the property under test)
        assert_names(err, 'fer2013new.csv')
        return None
    return dataset


@fuzz('text')
@given(text=TEXTS,
       label_mode=st.sampled_from(LABEL_MODES),
       num_classes=st.sampled_from([7, 8]))
def test_ferplus_csv(tmp_path_factory, pixels_path, text, label_mode,
                     num_classes):
    root = tmp_path_factory.mktemp('ferplus', numbered=True)
    dataset = load(root, text, pixels_path, label_mode=label_mode,
                   num_classes=num_classes)
    if dataset is None:
        return
    rows = len(data_lines(as_read(root, 'fer2013new.csv'))) - 1
    assert rows == len(PIXEL_USAGES)
    assert len(dataset.records) + sum(dataset.excluded.values()) == rows
    assert all(0 <= r.gt_label < num_classes for r in dataset.records)


COUNTS = st.sampled_from([0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 10])
TABLES = st.lists(
    st.tuples(st.sampled_from(['name', 'name', '']),
              st.lists(COUNTS, min_size=10, max_size=10)),
    min_size=len(PIXEL_USAGES), max_size=len(PIXEL_USAGES))


def expected(counts, num_classes, label_mode):
    """``(label, '')`` or ``(None, reason)`` of one row by the FERPlus
    paper's rules, by column name."""
    remaining = {c: n for c, n in zip(COLUMNS, counts)
                 if n > 1 and (c != 'contempt' or num_classes == 8)}
    total = sum(remaining.values())
    if not total:
        return None, 'no votes'
    emotions = {c: n for c, n in remaining.items() if c in LABEL_OF}
    if label_mode == 'majority':
        top = max(remaining, key=remaining.get)
        if remaining[top] <= total / 2:
            return None, 'no majority'
        names = dict(unknown='unknown', NF='not a face')
        return (None, names[top]) if top in names else (LABEL_OF[top], '')
    if sum(emotions.values()) < total / 2:
        return None, 'unknown or not a face'
    most = max(emotions.values())
    return min(LABEL_OF[c] for c, n in emotions.items() if n == most), ''


@fuzz('votes')
@given(table=TABLES, label_mode=st.sampled_from(LABEL_MODES),
       num_classes=st.sampled_from([7, 8]))
def test_ferplus_label_rules(tmp_path_factory, pixels_path, table,
                             label_mode, num_classes):
    lines = [
        ','.join([usage, f'fer{i:07d}.png' if name else ''] +
                 [str(n) for n in counts])
        for i, (usage, (name, counts)) in enumerate(zip(PIXEL_USAGES, table))
    ]
    text = '\n'.join([HEADER] + lines) + '\n'
    root = tmp_path_factory.mktemp('ferplus', numbered=True)
    dataset = load(root, text, pixels_path, label_mode=label_mode,
                   num_classes=num_classes)
    kept, reasons = [], Counter()
    for i, (name, counts) in enumerate(table):
        label, reason = ((None, 'no image name') if not name else expected(
            counts, num_classes, label_mode))
        if reason:
            reasons[reason] += 1
        else:
            kept.append((f'fer{i:07d}', label))
    assert [(r.pair_id, r.gt_label) for r in dataset.records] == kept
    assert dataset.excluded == reasons
