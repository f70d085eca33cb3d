"""End to end: the contrastive configs train through tools/train.py on the
tiny benchmark (paired training loader, single-view validation), their
checkpoints serve tools/test.py, and two-stage SupCon hands its encoder to
the linear probe."""

import pytest
import torch
from e2e_helpers import (REPO, run_tool, scalars, weights, write_tiny_config,
                         write_tiny_paired_config)
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mmsde.models  # noqa: F401

CONTRASTIVE = REPO / 'configs' / 'contrastive'
PAIRED = '_resnet18_1xb16-adam-12e_synthetic-msde.py'
LINEAR = 'supcon-linear_resnet18_1xb32-adam-12e_synthetic-msde.py'


@pytest.mark.slow
@pytest.mark.parametrize('method,loss_keys', [
    ('paired-mse', {'loss_cls_non_masked', 'loss_cls_masked',
                    'loss_paired'}),
    ('supcon-joint', {'loss_cls', 'loss_supcon'}),
])
def test_train_then_test(method, loss_keys, tiny_msde, tmp_path):
    config = write_tiny_paired_config(tmp_path, tiny_msde,
                                      CONTRASTIVE / f'{method}{PAIRED}')
    work_dir = tmp_path / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir)
    records = scalars(work_dir)
    train = [r for r in records if 'loss' in r]
    assert train and all(loss_keys <= set(r) for r in train)
    assert any('overall/accuracy' in r for r in records)
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file()
    proc = run_tool('python', 'tools/test.py', config, ckpt, '--work-dir',
                    tmp_path / 'test')
    assert 'masked/accuracy' in proc.stdout + proc.stderr


@pytest.mark.slow
def test_supcon_two_stages(tiny_msde, tmp_path):
    """Stage 1 (SupCon only, no validation) writes a checkpoint; stage 2
    trains a linear classifier on its frozen backbone."""
    stage1 = write_tiny_paired_config(
        tmp_path, tiny_msde, CONTRASTIVE / f'supcon-pretrain{PAIRED}')
    run1 = tmp_path / 'stage1'
    run_tool('python', 'tools/train.py', stage1, '--work-dir', run1)
    records = scalars(run1)
    assert all(set(r) & {'loss_cls', 'overall/accuracy'} == set()
               for r in records)
    assert any('loss_supcon' in r for r in records)
    encoder = run1 / 'epoch_1.pth'

    linear_dir = tmp_path / 'linear'
    linear_dir.mkdir()
    stage2 = write_tiny_config(linear_dir / 'tiny.py', tiny_msde,
                               base=CONTRASTIVE / LINEAR, max_epochs=1,
                               keep_init=True)
    run2 = tmp_path / 'stage2'
    run_tool('python', 'tools/train.py', stage2, '--work-dir', run2,
             '--cfg-options',
             f'model.backbone.init_cfg.checkpoint={encoder}')
    before, after = weights(encoder), weights(run2 / 'epoch_1.pth')
    backbone = [k for k in after if k.startswith('backbone.')]
    assert backbone and all(
        torch.equal(before[k], after[k]) for k in backbone), \
        'stage 2 starts from stage 1 and keeps the backbone frozen'
    assert not torch.equal(before['head.fc.weight'],
                           after['head.fc.weight'])
    assert not any(k.startswith('projector.') for k in after)


@pytest.mark.parametrize('name,stage1', [
    (LINEAR, f'supcon-pretrain{PAIRED}'[:-3]),
    ('supcon-linear_resnet18_1xb96-adam-24e_msde.py',
     'supcon-pretrain_resnet18_1xb96-adam-24e_msde'),
])
def test_linear_probe_reads_stage1_work_dir(name, stage1, tmp_path,
                                            monkeypatch):
    """Stage 2 points at stage 1's default work dir; a missing checkpoint
    stops the initialisation with FileNotFoundError naming the path."""
    cfg = Config.fromfile(str(CONTRASTIVE / name))
    stage1_cfg = Config.fromfile(str(CONTRASTIVE / f'{stage1}.py'))
    last = f'epoch_{stage1_cfg.train_cfg.max_epochs}.pth'
    checkpoint = cfg.model.backbone.init_cfg.checkpoint
    assert checkpoint == f'work_dirs/{stage1}/{last}'

    monkeypatch.chdir(tmp_path)  # no work_dirs/ here
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    with pytest.raises(FileNotFoundError, match=f'{stage1}/{last}'):
        model.init_weights()
