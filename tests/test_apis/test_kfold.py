"""k-fold aggregation: tables against numbers computed here."""
import csv
import json
import math
import statistics

import pytest
from mmengine.config import Config

from mmsde.apis.kfold import (fold_options, fold_placeholders,
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
