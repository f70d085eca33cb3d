"""tools/kfold.py end to end: two folds of the tiny config, then the table."""
import json

import pytest
from e2e_helpers import run_tool, write_tiny_config
from mmengine.config import Config
from mmpretrain.registry import DATASETS

from mmsde.apis.kfold import fold_options

pytestmark = pytest.mark.slow


def training_set(config, fold: int):
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(fold_options(cfg, fold, 5))
    return DATASETS.build(cfg.train_dataloader.dataset)


def test_kfold_run_and_summarize(tiny_msde, tmp_path):
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    work_dir = tmp_path / 'kfold'
    run_tool('python', 'tools/kfold.py', 'run', config, '--work-dir',
             work_dir, '--num-folds', 5, '--folds', 0, 1)
    results = [json.loads((work_dir / f'fold{k}' / 'test_metrics.json')
                          .read_text()) for k in (0, 1)]
    assert [r['fold'] for r in results] == [0, 1]
    for r in results:
        m = r['metrics']
        # overall accuracy is the mean of the two equally sized groups
        assert m['overall/accuracy'] == pytest.approx(
            (m['masked/accuracy'] + m['non_masked/accuracy']) / 2, abs=1e-3)
        assert r['checkpoint'].endswith('.pth')
        # the cost facts: ResNet-18 without its 1000-class fc (torchvision's
        # 11,689,512 - 513,000) plus a 7-class linear head; one epoch over
        # the fold's training subjects
        assert r['params'] == 11_689_512 - 513_000 + 512 * 7 + 7
        assert r['train_images'] == len(training_set(config, r['fold']))
        assert 0 < r['train_seconds'] < r['seconds']
    # a finished fold is not trained again
    proc = run_tool('python', 'tools/kfold.py', 'run', config, '--work-dir',
                    work_dir, '--num-folds', 5, '--folds', 0)
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
    out = tmp_path / 'table'
    proc = run_tool('python', 'tools/kfold.py', 'summarize',
                    f'tiny={work_dir}', '--out', out)
    row = (tmp_path / 'table.md').read_text().splitlines()[2]
    mean = sum(r['metrics']['masked/accuracy'] for r in results) / 2
    assert row.startswith('| tiny | 2 | ')
    assert f'{mean:.2f} ± ' in row
    assert (tmp_path / 'table.csv').is_file()
