"""k-fold aggregation: tables against numbers computed here."""
import csv
import json
import math
import statistics

import pytest
from mmengine.config import Config

from mmsde.apis.kfold import (cost_table, fold_options, fold_placeholders,
                              load_fold_results, summarize, write_tables)


def write_fold(work_dir, fold, metrics):
    fold_dir = work_dir / f'fold{fold}'
    fold_dir.mkdir(parents=True)
    (fold_dir / 'test_metrics.json').write_text(
        json.dumps(dict(fold=fold, num_folds=3, metrics=metrics)))


@pytest.fixture
def two_runs(tmp_path):
    runs = {'base': [70.0, 80.0, 90.0], 'kd': [75.0, 77.0]}
    for name, values in runs.items():
        for fold, value in enumerate(values):
            write_fold(tmp_path / name, fold, {
                'masked/accuracy': value,
                'non_masked/accuracy': value + 10
            })
    return tmp_path, runs


def test_summarize_mean_and_sample_std(two_runs):
    root, runs = two_runs
    summary = summarize(load_fold_results(root / 'base'),
                        ['masked/accuracy', 'non_masked/accuracy'])
    values = runs['base']
    assert summary['masked/accuracy']['mean'] == pytest.approx(
        statistics.mean(values))
    assert summary['masked/accuracy']['std'] == pytest.approx(
        statistics.stdev(values))
    assert summary['non_masked/accuracy']['mean'] == pytest.approx(90.0)
    assert summary['masked/accuracy']['n'] == 3


def test_a_row_refuses_folds_of_different_precisions(tmp_path):
    """Records without a precision trained in float32: with a bfloat16
    fold they make no row; alone, or with explicit float32, they do."""
    records = [dict(fold=0, metrics={'masked/accuracy': 50.0}),
               dict(fold=1, precision='fp32',
                    metrics={'masked/accuracy': 60.0})]
    assert summarize(records, ['masked/accuracy'])[
        'masked/accuracy']['mean'] == pytest.approx(55.0)
    mixed = records + [dict(fold=2, precision='bf16',
                            metrics={'masked/accuracy': 70.0})]
    with pytest.raises(ValueError, match=r"'bf16': \[2\]"):
        summarize(mixed, ['masked/accuracy'])


def test_single_fold_has_no_std(tmp_path):
    write_fold(tmp_path, 0, {'masked/accuracy': 50.0})
    stats = summarize(load_fold_results(tmp_path), ['masked/accuracy'])
    assert math.isnan(stats['masked/accuracy']['std'])


def test_tables_written(two_runs):
    root, runs = two_runs
    rows = {
        name: summarize(load_fold_results(root / name), ['masked/accuracy'])
        for name in runs
    }
    write_tables(rows, str(root / 'table'))
    md = (root / 'table.md').read_text().splitlines()
    assert md[0] == '| run | folds | masked/accuracy |'
    assert md[2] == (f'| base | 3 | {statistics.mean(runs["base"]):.2f} ± '
                     f'{statistics.stdev(runs["base"]):.2f} |')
    with open(root / 'table.csv') as f:
        records = list(csv.DictReader(f))
    assert records[1]['run'] == 'kd'
    assert float(records[1]['masked/accuracy mean']) == pytest.approx(76.0)
    assert float(records[1]['masked/accuracy std']) == pytest.approx(
        statistics.stdev([75.0, 77.0]), abs=1e-4)


def test_cost_table_averages_rates_over_timed_folds():
    """Images/s is the mean of each fold's rate; folds recorded by older
    versions (no timing) are left out, and so is a run without any."""
    timed = [dict(fold=0, params=11_180_103, train_images=24_000,
                  train_seconds=200.0, seconds=300.0),
             dict(fold=1, params=11_180_103, train_images=24_000,
                  train_seconds=300.0, seconds=420.0)]
    table = cost_table({'scn': timed + [dict(fold=2, seconds=9.0)],
                        'old': [dict(fold=0, seconds=9.0)]})
    lines = table.splitlines()
    assert len(lines) == 3
    assert lines[2] == '| scn | 2 | 11.18 | 100 | 6.0 |'  # (120 + 80) / 2
    assert cost_table({'old': [dict(fold=0, seconds=9.0)]}) == ''


def test_missing_metric_and_missing_results(two_runs, tmp_path):
    root, _ = two_runs
    with pytest.raises(KeyError, match="'overall/accuracy' missing in folds"):
        summarize(load_fold_results(root / 'base'), ['overall/accuracy'])
    with pytest.raises(FileNotFoundError, match='no fold results'):
        load_fold_results(tmp_path / 'empty')


def test_fold_options_need_fold_field():
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(type='MSDE', fold=0)),
        val_dataloader=dict(dataset=dict(type='MSDE', fold=0)),
        test_dataloader=dict(dataset=dict(type='MSDE', fold=0))))
    options = fold_options(cfg, 4, 10)
    assert options['test_dataloader.dataset.fold'] == 4
    assert options['train_dataloader.dataset.num_folds'] == 10
    cfg.test_dataloader.dataset.pop('fold')
    with pytest.raises(KeyError, match='test_dataloader.dataset .* no "fold"'):
        fold_options(cfg, 0, 10)


def test_fold_placeholders_give_each_fold_its_own_paths():
    options = {'model.teacher_ckpt': 'runs/teacher/fold{fold}/best_*.pth',
               'train_cfg.max_epochs': 3}
    assert fold_placeholders(options, 7) == {
        'model.teacher_ckpt': 'runs/teacher/fold7/best_*.pth',
        'train_cfg.max_epochs': 3
    }
    assert options['model.teacher_ckpt'].endswith('fold{fold}/best_*.pth')
    assert fold_placeholders(None, 0) is None


def test_paired_comparison_against_independent_computation(tmp_path):
    """Made-up fold results: the paired differences, their sample std and
    the paired t statistic's p-value, computed here by hand."""
    from scipy.stats import t as student_t

    from mmsde.apis.kfold import paired_comparison
    base = [60.0, 70.0, 65.0, 80.0, 75.0]
    method = [63.0, 71.0, 69.0, 82.0, 75.5]
    for fold, (b, m) in enumerate(zip(base, method)):
        write_fold(tmp_path / 'base', fold, {'masked/accuracy': b})
        write_fold(tmp_path / 'method', fold, {'masked/accuracy': m})
    write_fold(tmp_path / 'method', 9, {'masked/accuracy': 99.0})  # unpaired
    diff = paired_comparison(load_fold_results(tmp_path / 'method'),
                             load_fold_results(tmp_path / 'base'),
                             ['masked/accuracy'])['masked/accuracy']
    d = [m - b for m, b in zip(method, base)]
    mean, sd, n = statistics.mean(d), statistics.stdev(d), len(d)
    t = mean / (sd / math.sqrt(n))
    p = 2 * student_t.sf(abs(t), df=n - 1)
    assert diff['folds'] == [0, 1, 2, 3, 4]
    assert diff['mean'] == pytest.approx(mean)
    assert diff['std'] == pytest.approx(sd)
    assert diff['p'] == pytest.approx(p)
    assert 0 < diff['p'] < 0.05


def test_paired_comparison_edge_cases(tmp_path):
    from mmsde.apis.kfold import paired_comparison
    write_fold(tmp_path / 'a', 0, {'masked/accuracy': 50.0})
    write_fold(tmp_path / 'b', 1, {'masked/accuracy': 50.0})
    with pytest.raises(ValueError, match='no common folds'):
        paired_comparison(load_fold_results(tmp_path / 'a'),
                          load_fold_results(tmp_path / 'b'),
                          ['masked/accuracy'])
    write_fold(tmp_path / 'b', 0, {'masked/accuracy': 40.0})
    one = paired_comparison(load_fold_results(tmp_path / 'a'),
                            load_fold_results(tmp_path / 'b'),
                            ['masked/accuracy'])['masked/accuracy']
    assert one['mean'] == 10.0 and one['n'] == 1
    assert math.isnan(one['std']) and math.isnan(one['p'])


def test_summarize_tool_writes_paired_table(two_runs):
    from e2e_helpers import REPO, run_tool
    root, runs = two_runs
    out = root / 'table'
    proc = run_tool('python', REPO / 'tools' / 'kfold.py', 'summarize',
                    f'base={root / "base"}', f'kd={root / "kd"}', '--out',
                    out, '--metrics', 'masked/accuracy', '--reference',
                    'base')
    paired = (root / 'table_paired.md').read_text()
    # kd - base on folds 0, 1: +5, -3
    d = [5.0, -3.0]
    cell = f'{statistics.mean(d):+.2f} ± {statistics.stdev(d):.2f}'
    assert f'| kd | 2 | {cell} (p=' in paired
    assert 'against `base`' in proc.stdout


def test_run_fold_records_the_code_it_started_with(tmp_path, monkeypatch):
    """The record's code state is read before training: a checkout that
    changes while a fold trains does not rewrite what ran."""
    from mmsde.apis import kfold
    states = iter([dict(source_hash='before'), dict(source_hash='after')])
    monkeypatch.setattr(kfold, 'code_state', lambda: next(states))
    monkeypatch.setattr(kfold, 'load_config',
                        lambda *args, **kwargs: Config(dict(randomness=dict(
                            seed=3))))

    def train_and_test(cfg):
        kfold.code_state()  # the checkout changes during training
        return dict(checkpoint='/abs/work/best.pth', params=1,
                    precision='bf16', train_images=2, train_seconds=1.0,
                    **{'masked/accuracy': 50.0})

    monkeypatch.setattr(kfold, 'train_and_test', train_and_test)
    kfold.run_fold('configs/x.py', str(tmp_path), None, 10)
    record = json.loads((tmp_path / 'native' / 'test_metrics.json')
                        .read_text())
    assert record['code'] == dict(source_hash='before')
    assert record['checkpoint'] == 'best.pth' and record['seed'] == 3


@pytest.mark.parametrize('tested,kept', [
    ('best_acc_epoch_1.pth', {'best_acc_epoch_1.pth'}),
    ('epoch_1.pth', {'epoch_1.pth'}),
    ('epoch_2.pth', {'epoch_2.pth', 'last_checkpoint'}),
    # no save_best: the last weights, which the pointer names
    ('last', {'epoch_2.pth', 'last_checkpoint'})])
def test_a_finished_fold_keeps_only_its_tested_checkpoint(tmp_path,
                                                          monkeypatch,
                                                          tested, kept):
    """Resume checkpoints and MMEngine's pointer to them go once the
    record is written; the tested checkpoint stays, and so do the other
    files."""
    from mmsde.apis import kfold
    fold_dir = tmp_path / 'native'
    fold_dir.mkdir()
    for name in ['epoch_1.pth', 'epoch_2.pth', 'iter_9.pth',
                 'best_acc_epoch_1.pth', 'cfg.py']:
        (fold_dir / name).write_text(name)
    # MMEngine writes the absolute path of the latest checkpoint
    (fold_dir / 'last_checkpoint').write_text(str(fold_dir / 'epoch_2.pth'))
    monkeypatch.setattr(kfold, 'load_config',
                        lambda *args, **kwargs: Config(dict()))
    checkpoint = tested if tested == 'last' else str(fold_dir / tested)
    monkeypatch.setattr(kfold, 'train_and_test', lambda cfg: dict(
        checkpoint=checkpoint, params=1, precision='fp32',
        train_images=2, train_seconds=1.0, **{'masked/accuracy': 50.0}))
    kfold.run_fold('configs/x.py', str(tmp_path), None, 10)
    left = {p.name for p in fold_dir.iterdir()}
    assert left == kept | {'best_acc_epoch_1.pth', 'cfg.py',
                           'test_metrics.json'}
