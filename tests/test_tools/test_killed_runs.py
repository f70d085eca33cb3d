"""Runs killed with SIGKILL: training resumes with --resume and loses at
most one epoch; the k-fold runner reruns only the unfinished fold, from
its last checkpoint."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from e2e_helpers import REPO, run_tool, write_tiny_config

pytestmark = pytest.mark.slow

SMALL_BATCHES = ['--cfg-options', 'train_dataloader.batch_size=2']


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable] + [str(a) for a in args],
                            cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def kill_when(proc: subprocess.Popen, ready, timeout: float = 300) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` is true."""
    end = time.time() + timeout
    while not ready():
        assert proc.poll() is None, 'the run ended before it could be killed'
        assert time.time() < end, 'timed out waiting to kill the run'
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def in_epoch(work_dir: Path, epoch: int) -> bool:
    """Whether the run's log shows a training iteration of ``epoch``."""
    logs = list(work_dir.glob('*/*.log'))
    return bool(logs) and re.search(rf'Epoch\(train\) +\[{epoch}\]\[',
                                    logs[0].read_text()) is not None


def test_killed_training_resumes_and_finishes(tiny_msde, tmp_path):
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=3)
    work_dir = tmp_path / 'run'
    proc = start('tools/train.py', config, '--work-dir', work_dir,
                 *SMALL_BATCHES)
    kill_when(proc, lambda: in_epoch(work_dir, 2))
    assert not (work_dir / 'epoch_2.pth').exists(), 'killed too late'
    out = run_tool('python', 'tools/train.py', config, '--work-dir',
                   work_dir, '--resume', *SMALL_BATCHES)
    log = out.stdout + out.stderr
    assert 'resumed epoch: 1' in log  # only the killed epoch is redone
    ckpt = torch.load(work_dir / 'epoch_3.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['epoch'] == 3
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith(
        'epoch_3.pth')


def test_killed_kfold_reruns_only_the_unfinished_fold(tiny_msde, tmp_path):
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=2)
    work_dir = tmp_path / 'kfold'
    args = ['tools/kfold.py', 'run', config, '--work-dir', work_dir,
            '--num-folds', '5', '--folds', '0', '1'] + SMALL_BATCHES
    proc = start(*args)
    fold0 = work_dir / 'fold0' / 'test_metrics.json'
    kill_when(proc, lambda: fold0.is_file() and
              (work_dir / 'fold1' / 'epoch_1.pth').is_file() and
              in_epoch(work_dir / 'fold1', 2))
    assert not (work_dir / 'fold1' / 'test_metrics.json').exists()
    finished = fold0.stat().st_mtime_ns
    run_tool(sys.executable, *args)
    assert fold0.stat().st_mtime_ns == finished, 'fold 0 ran again'
    result = json.loads((work_dir / 'fold1' / 'test_metrics.json')
                        .read_text())
    assert result['fold'] == 1 and 'overall/accuracy' in result['metrics']
    logs = sorted((work_dir / 'fold1').glob('*/*.log'))
    assert len(logs) == 2 and 'resumed epoch: 1' in logs[-1].read_text()
    assert sorted(os.listdir(work_dir)) == ['fold0', 'fold1']
