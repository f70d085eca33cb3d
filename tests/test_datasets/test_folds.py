import pytest

from mmsde.datasets.folds import (natural_key, sorted_subjects, split_subjects,
                                  subject_folds)

SUBJECTS = [str(s) for s in range(1, 21)]  # '1'..'20'


def test_natural_order():
    assert sorted_subjects(['10', '9', '1', '9']) == ['1', '9', '10']
    assert sorted(['s10', 's2', 't1'], key=natural_key) == ['s2', 's10', 't1']
    # mixed leading text and digits must not compare int with str
    assert sorted_subjects(['a1', '1a', 'b']) == ['1a', 'a1', 'b']


def test_folds_are_contiguous_blocks():
    # 20 subjects / 10 folds: fold k = subjects 2k+1, 2k+2 (numeric order)
    folds = subject_folds(reversed(SUBJECTS), 10)
    assert folds == [[str(2 * k + 1), str(2 * k + 2)] for k in range(10)]
    # 20 / 3: first 20 % 3 = 2 folds one larger
    folds = subject_folds(SUBJECTS * 2, 3)  # repeats are one subject
    assert folds == [SUBJECTS[:7], SUBJECTS[7:14], SUBJECTS[14:]]


@pytest.mark.parametrize('num_subjects,num_folds', [(20, 10), (20, 3),
                                                    (142, 10), (23, 7)])
def test_folds_partition_and_balance(num_subjects, num_folds):
    subjects = [f'{s:03d}' for s in range(num_subjects)]
    folds = subject_folds(subjects, num_folds)
    flat = [s for f in folds for s in f]
    assert sorted(flat) == sorted(subjects)  # each exactly once
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1 and len(folds) == num_folds


@pytest.mark.parametrize('num_folds', [10, 3])
@pytest.mark.parametrize('val_ratio', [0.0, 0.1, 0.3])
def test_splits_disjoint_and_cover(num_folds, val_ratio):
    tested = []
    for fold in range(num_folds):
        test = split_subjects(SUBJECTS, fold, num_folds, 'test')
        train = split_subjects(SUBJECTS, fold, num_folds, 'train', val_ratio)
        assert not train & test
        assert split_subjects(SUBJECTS, fold, num_folds, 'all') == set(
            SUBJECTS)
        if val_ratio:
            val = split_subjects(SUBJECTS, fold, num_folds, 'val', val_ratio)
            assert not val & test and not val & train
            assert train | val | test == set(SUBJECTS)
            rest = len(SUBJECTS) - len(test)
            assert len(val) == max(1, round(val_ratio * rest))
        else:
            assert train | test == set(SUBJECTS)
        tested.extend(test)
    assert sorted(tested) == sorted(SUBJECTS)  # every subject tested once


def test_val_is_spread_and_deterministic():
    val = split_subjects(SUBJECTS, 0, 10, 'val', 0.25)
    assert val == split_subjects(SUBJECTS, 0, 10, 'val', 0.25)
    # rest = 3..20 (18), 5 picks at (i + .5) * 18 / 5 -> 1, 5, 9, 12, 16
    assert val == {'4', '8', '12', '15', '19'}


@pytest.mark.parametrize('kwargs,match', [
    (dict(fold=10), r'fold must be an integer in \[0, 9\].*got 10'),
    (dict(fold=-1), r'fold must be .*got -1'),
    (dict(num_folds=1, fold=0), r'num_folds must be an integer >= 2'),
    (dict(num_folds=21, fold=0), r'num_folds=21 is larger than the number '
     r'of subjects \(20\)'),
    (dict(split='dev'), r"split must be one of \('train', 'val', 'test', "
     r"'all'\), got 'dev'"),
    (dict(split='val'), r'set val_ratio > 0 to hold out validation'),
    (dict(val_ratio=1.0), r'val_ratio must be in \[0, 1\)'),
])
def test_errors(kwargs, match):
    args = dict(fold=0, num_folds=10, split='train', val_ratio=0.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        split_subjects(SUBJECTS, **args)


def test_val_taking_all_training_subjects_errors():
    # 2 subjects, 2 folds: the single non-test subject cannot also be val
    with pytest.raises(ValueError, match='leaves no training subjects'):
        split_subjects(['a', 'b'], 0, 2, 'val', 0.5)
