"""End to end through the command-line tools: train, test, resume,
load_from."""
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from e2e_helpers import REPO, run_tool, scalars, weights, write_tiny_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def trained(tiny_msde, module_tmp_path):
    """Train the tiny config for 2 epochs; return (config, work_dir)."""
    tmp = module_tmp_path
    config = write_tiny_config(tmp / 'tiny.py', tiny_msde)
    work_dir = tmp / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir)
    return config, work_dir


def test_train_saves_checkpoints_and_validates(trained):
    _, work_dir = trained
    assert (work_dir / 'epoch_1.pth').is_file()
    assert (work_dir / 'epoch_2.pth').is_file()
    val = [r for r in scalars(work_dir) if 'overall/accuracy' in r]
    assert [r['step'] for r in val] == [1, 2]
    assert all('masked/accuracy' in r and 'non_masked/accuracy' in r
               for r in val)
    best = list(work_dir.glob('best_overall_accuracy_epoch_*.pth'))
    assert len(best) == 1, 'the CheckpointHook keeps the best val epoch'
    ckpt = torch.load(work_dir / 'epoch_2.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['epoch'] == 2
    assert ckpt['state_dict']['head.fc.weight'].shape == (7, 512)


def test_test_tool_reports_accuracy_of_dumped_predictions(trained, tmp_path):
    config, work_dir = trained
    out = tmp_path / 'preds.pkl'
    proc = run_tool('python', 'tools/test.py', config,
                    work_dir / 'epoch_2.pth', '--work-dir', tmp_path / 'test',
                    '--out', out)
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    # fold 0 of 5 over 10 subjects: 2 test subjects x 7 labels x 2 views
    assert len(preds) == 28
    assert sum(p['masked'] for p in preds) == 14
    correct = sum(int(p['pred_label'][0] == p['gt_label'][0]) for p in preds)
    reported = re.search(r'overall/accuracy: ([\d.]+)',
                         proc.stdout + proc.stderr)
    assert reported, proc.stdout[-2000:]
    assert float(reported.group(1)) == pytest.approx(100 * correct / 28,
                                                     abs=1e-3)


def test_resume_continues_to_the_same_weights(trained, tmp_path):
    config, work_dir = trained
    resumed = tmp_path / 'resumed'
    proc = run_tool('python', 'tools/train.py', config, '--work-dir', resumed,
                    '--resume', work_dir / 'epoch_1.pth')
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr
    assert not (resumed / 'epoch_1.pth').exists()
    ckpt = torch.load(resumed / 'epoch_2.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['epoch'] == 2
    expected = weights(work_dir / 'epoch_2.pth')
    for key, value in ckpt['state_dict'].items():
        torch.testing.assert_close(value, expected[key], atol=1e-4, rtol=1e-3,
                                   msg=f'{key} differs after resuming')


def test_auto_resume_from_work_dir(trained, tmp_path):
    config, work_dir = trained
    proc = run_tool('python', 'tools/train.py', config, '--work-dir', work_dir,
                    '--resume', '--cfg-options', 'train_cfg.max_epochs=3')
    assert 'resumed epoch: 2' in proc.stdout + proc.stderr
    assert (work_dir / 'epoch_3.pth').is_file()


def test_load_from_initialises_weights(trained, tmp_path):
    config, work_dir = trained
    source = work_dir / 'epoch_2.pth'
    proc = run_tool('python', 'tools/train.py', config, '--work-dir',
                    tmp_path / 'finetune', '--cfg-options',
                    f'load_from={source}', 'train_cfg.max_epochs=1',
                    'optim_wrapper.optimizer.lr=0.0')
    assert f'Load checkpoint from {source}' in proc.stdout + proc.stderr
    # with lr 0 the weights stay those of the loaded checkpoint
    finetuned = weights(tmp_path / 'finetune' / 'epoch_1.pth')
    for key, value in weights(source).items():
        if 'running' in key or 'num_batches' in key:
            continue  # BN statistics still update in train mode
        torch.testing.assert_close(finetuned[key], value, msg=key)


def test_mmpretrain_own_train_tool_runs_an_mmsde_config(tiny_msde, tmp_path):
    import mmpretrain
    tool = Path(mmpretrain.__file__).parent / '.mim' / 'tools' / 'train.py'
    assert tool.is_file(), f'mmpretrain ships no {tool}'
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    run_tool('python', tool, config, '--work-dir', tmp_path / 'run',
             cwd=tmp_path)
    assert (tmp_path / 'run' / 'epoch_1.pth').is_file()


class WritesMarker:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, 'w'))


@pytest.mark.parametrize('how', ['load_from', 'resume'])
def test_a_checkpoint_that_runs_code_stops_training(trained, tmp_path, how):
    config, _ = trained
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=WritesMarker(marker)), evil)
    args = (['--cfg-options', f'load_from={evil}'] if how == 'load_from'
            else ['--resume', evil])
    cmd = [sys.executable, 'tools/train.py', str(config), '--work-dir',
           str(tmp_path / 'run')] + [str(a) for a in args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode != 0
    assert f'checkpoint {evil} was refused: its pickle needs ' \
        f'{open.__module__}.{open.__qualname__}' in \
        proc.stderr
    assert 'MMSDE_TRUST_CHECKPOINTS=1' in proc.stderr
    assert not marker.exists()
    assert not list((tmp_path / 'run').glob('epoch_*.pth'))


def test_ema_checkpoints_load_safely_and_resume(tiny_msde, tmp_path):
    base = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    config = tmp_path / 'ema.py'
    config.write_text(f"_base_ = '{base}'\n"
                      "custom_hooks = [dict(type='EMAHook', momentum=0.1)]\n")
    work_dir = tmp_path / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir)
    assert 'ema_state_dict' in torch.load(
        work_dir / 'epoch_1.pth', map_location='cpu', weights_only=False)
    proc = run_tool('python', 'tools/train.py', config, '--work-dir',
                    work_dir, '--resume', '--cfg-options',
                    'train_cfg.max_epochs=2')
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr
    assert (work_dir / 'epoch_2.pth').is_file()
