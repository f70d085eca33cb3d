"""SupConLoss in two processes (gloo, CPU) equals the single-process loss on
the concatenated batch, in value (mean over ranks, as DDP averages) and in
gradient (each rank's feature gradient / world size)."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
# pytest puts this folder on sys.path (its default "prepend" import mode)
from supcon_dist_worker import CASES, case_loss, global_batch

HERE = Path(__file__).resolve().parent
WORLD = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def rank_results(tmp_path_factory):
    out = tmp_path_factory.mktemp('supcon_dist')
    cmd = [
        sys.executable, '-m', 'torch.distributed.run',
        f'--nproc_per_node={WORLD}', '--master_addr=127.0.0.1',
        f'--master_port={free_port()}',
        str(HERE / 'supcon_dist_worker.py'),
        str(out)
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, f'{cmd} failed:\n{proc.stderr[-4000:]}'
    return [torch.load(out / f'rank{r}.pt') for r in range(WORLD)]


@pytest.mark.parametrize('case', list(CASES))
def test_distributed_equals_single_process(rank_results, case):
    features, labels = global_batch()
    features = features.clone().requires_grad_()
    cfg = CASES[case]
    loss = case_loss(cfg)(
        features, labels if cfg['use_labels'] else None)
    loss.backward()

    ranks = [r[case] for r in rank_results]
    mean_loss = sum(r['loss'] for r in ranks) / WORLD
    assert mean_loss.item() == pytest.approx(loss.item(), rel=1e-10)
    grad = torch.cat([r['grad'] for r in ranks]) / WORLD  # DDP's average
    assert torch.allclose(grad, features.grad, rtol=1e-9, atol=1e-12)
    # the per-rank losses differ: each rank's anchors are its own samples
    assert ranks[0]['loss'].item() != pytest.approx(ranks[1]['loss'].item())
