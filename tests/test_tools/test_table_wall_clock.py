"""tools/benchmark/table_wall_clock.py: totals and lanes from records,
against sums worked out here."""
import importlib.util
import json

import pytest
from e2e_helpers import REPO

spec = importlib.util.spec_from_file_location(
    'table_wall_clock', REPO / 'tools/benchmark/table_wall_clock.py')
wall_clock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wall_clock)


def test_makespan_starts_the_longest_run_first():
    # lanes: 5 | 4, then 3 -> the 4-lane (7), 3 -> the 5-lane (8),
    # 3 -> the 7-lane (10)
    assert wall_clock.makespan([3, 5, 3, 4, 3], 2) == 10
    assert wall_clock.makespan([3, 5, 3, 4, 3], 1) == 18
    assert wall_clock.makespan([2, 2], 4) == 2


def write(root, row, fold, seconds, images=1000):
    path = root / row / f'fold{fold}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(fold=fold, seconds=seconds,
                                    train_images=images)))


def test_table_estimates_missing_folds_at_the_row_median(tmp_path):
    for fold, seconds in enumerate([600, 1200, 900]):
        write(tmp_path, 'a_bf16', fold, seconds)
    write(tmp_path, 'b_bf16', 0, 1800)
    write(tmp_path, 'c', 0, 99999)  # not matched by the pattern
    rows = wall_clock.recorded_seconds(str(tmp_path), '*_bf16')
    assert {row: {k: r['seconds'] for k, r in records.items()}
            for row, records in rows.items()} == {
        'a_bf16': {0: 600, 1: 1200, 2: 900}, 'b_bf16': {0: 1800}}
    text = wall_clock.table(rows, [0, 1, 2, 3], lanes=2, budget_hours=1)
    assert '| a_bf16 | 3 | 15.0 [10.0-20.0] |' in text
    # a: 600 + 1200 + 900 + 900 (median); b: 4 x 1800 -> 3600 + 7200 s
    assert '8 runs (4 estimated at their row\'s median, 0 resumed' in text
    assert '3.00 h one after another' in text
    # longest first: 1800 x4 and 1200, 900, 900, 600 -> lanes of 5400 s
    assert '1.50 h as 2 lanes' in text
    assert 'Budget 1 h: over (1.50 of it)' in text


def test_a_record_without_seconds_is_named(tmp_path):
    path = tmp_path / 'a' / 'fold0.json'
    path.parent.mkdir()
    path.write_text(json.dumps(dict(fold=0)))
    with pytest.raises(ValueError, match='a/fold0.json: no "seconds"'):
        wall_clock.recorded_seconds(str(tmp_path), '*')


def test_a_resumed_run_counts_as_a_whole_run(tmp_path):
    """A run resumed from a checkpoint recorded only its last part: its
    seconds are scaled by the row's whole-run images over its own."""
    write(tmp_path, 'a', 0, 600, images=1000)
    write(tmp_path, 'a', 1, 300, images=400)  # 60% ran before the resume
    write(tmp_path, 'a', 2, 500, images=990)  # a fold 1% smaller: whole
    rows = wall_clock.recorded_seconds(str(tmp_path), '*')
    assert wall_clock.whole_run_seconds(rows['a']) == {0: 600, 1: 750,
                                                       2: 500}
    text = wall_clock.table(rows, [0, 1, 2], lanes=1)
    assert '0 estimated at their row\'s median, 1 resumed' in text
    assert '0.51 h one after another' in text  # (600 + 750 + 500) / 3600


def test_a_grid_spec_reads_its_runs_legacy_and_grid_records_alike(
        tmp_path, monkeypatch):
    """Given a grid spec, the rows are its runs by folder name: a legacy
    record and a grid record of the same method are one row."""
    from mmsde.apis.grid import RunEntry, fingerprint, load_spec
    from mmsde.apis.grid_records import code_state, write_record
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'tiny.py').write_text(
        "_base_ = 'mmsde::baseline/"
        "resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py'\n")
    (tmp_path / 'spec.py').write_text('''grid = dict(
    name='t', folds=[0, 1], num_folds=5, precision='bf16',
    methods={'a, bf16': dict(config='tiny.py'),
             'b': dict(config='tiny.py')},
    work_dir='work', record_dir='records', legacy_dir='old')
''')
    write(tmp_path / 'old', 'a_bf16', 0, 600)
    write(tmp_path / 'old', 'b', 0, 99)  # not matched by the pattern
    spec = load_spec('spec.py')
    entry = RunEntry('a, bf16', 1, 0)
    write_record(spec.record_path(entry), dict(
        run=fingerprint(spec, entry), code=code_state(), fold=1,
        seconds=1200, train_images=1000))
    rows = wall_clock.grid_seconds('spec.py', '*_bf16')
    assert {row: {k: r['seconds'] for k, r in records.items()}
            for row, records in rows.items()} == {'a_bf16': {0: 600,
                                                             1: 1200}}
    (tmp_path / 'old' / 'b' / 'fold1.json').write_text(json.dumps(
        dict(fold=1)))
    with pytest.raises(ValueError, match='spec.py: b, fold 1: no "seconds"'):
        wall_clock.grid_seconds('spec.py', 'b')
