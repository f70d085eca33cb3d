"""Atomic writes: a killed writer never leaves a half-written file where a
reader (teacher cache, face-pretraining cache, k-fold results) looks."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmsde.utils.atomic import atomic_path


def test_an_error_midway_leaves_the_old_file(tmp_path):
    path = tmp_path / 'cache.pth'
    torch.save({'v': 1}, path)
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise RuntimeError('killed')
    assert torch.load(path) == {'v': 1}
    assert os.listdir(tmp_path) == ['cache.pth']


WRITER = """
import sys, torch
from mmsde.utils.atomic import atomic_path
i = 0
while True:
    i += 1
    with atomic_path(sys.argv[1]) as tmp:
        torch.save({'i': i, 'x': torch.full((2_000_000,), float(i))}, tmp)
    print(i, flush=True)
"""


def test_sigkill_never_leaves_a_half_written_file(tmp_path):
    path = tmp_path / 'teacher.pth'
    proc = subprocess.Popen([sys.executable, '-c', WRITER, str(path)],
                            stdout=subprocess.PIPE, text=True)
    written = 0
    while written < 3:  # several complete writes, then kill the next one
        written = int(proc.stdout.readline())
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    cache = torch.load(path, weights_only=True)
    assert cache['i'] >= written
    assert torch.all(cache['x'] == float(cache['i']))
