"""Distributed training through tools/dist_train.sh (torchrun, 2 CPU
processes, gloo)."""
import socket

import pytest
import torch
from e2e_helpers import run_tool, write_tiny_config

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_processes(tiny_msde, tmp_path):
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    work_dir = tmp_path / 'run'
    proc = run_tool('bash', 'tools/dist_train.sh', config, 2, '--work-dir',
                    work_dir, env={'PORT': str(free_port())})
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    assert 'Epoch(val) [1]' in log
    ckpt = torch.load(work_dir / 'epoch_1.pth', map_location='cpu',
                      weights_only=False)
    # each rank iterates over half the training set: the iteration count
    # shows that the data was sharded between the 2 processes
    assert ckpt['meta']['iter'] == ckpt['meta']['epoch'] * iters_per_rank(
        tiny_msde, world_size=2, batch_size=16)


def iters_per_rank(root, world_size: int, batch_size: int) -> int:
    """Training iterations per epoch of one rank, from the dataset size."""
    import math

    from mmsde.datasets import MSDE
    dataset = MSDE(str(root), split='train', fold=0, num_folds=5,
                   val_ratio=0.1, views='non_masked', lazy_init=False)
    per_rank = math.ceil(len(dataset) / world_size)
    return math.ceil(per_rank / batch_size)
