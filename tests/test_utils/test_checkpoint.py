"""Safe checkpoint loading: MMEngine's and mmsde's checkpoints load with
torch's weights_only unpickler plus an exact allow-list; a checkpoint whose
pickle would run code is refused everywhere a user can name one. Importing
mmsde routes MMEngine's loader of local files; the opt-out gives MMEngine
its own loader back. (What legitimate checkpoints hold:
``test_checkpoint_contents.py``.)"""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from checkpoint_helpers import Harmless, WritesMarker
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import (CheckpointLoader, load_checkpoint,
                                        load_from_local)
from mmpretrain.models import ResNet

import mmsde  # noqa: F401  (routes MMEngine's loader through mmsde)
from mmsde.models.converters import (convert_resnet18_checkpoint,
                                     load_state_dict_exactly)
from mmsde.utils import TRUST_ENV, UnsafeCheckpointError
from mmsde.utils.checkpoint import (SAFE_LOADER_ENV, load_checkpoint_file,
                                    patch_checkpoint_loader,
                                    restore_checkpoint_loader)


class GetsPrivateAttribute:
    """Abuses the getattr that MMEngine's HistoryBuffer pickles need."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


@pytest.fixture
def mmengine_style_ckpt(tmp_path):
    """A checkpoint with what MMEngine writes on resume: history buffers
    (whose statistics methods pickle through getattr), numpy values."""
    path = tmp_path / 'epoch_1.pth'
    model = torch.nn.Linear(3, 2)
    buffer = HistoryBuffer([1.0, 2.0], [1, 1])
    torch.save(
        dict(meta=dict(epoch=1, seed=np.int64(7), lr=np.float32(0.1),
                       hist=np.arange(3), dtype=np.dtype('float32')),
             state_dict=model.state_dict(),
             message_hub=dict(log_scalars={'loss': buffer})), path)
    return path, model


@pytest.fixture
def evil_ckpt(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=WritesMarker(marker)), path)
    return path, marker


def test_plain_torch_load_stays_safe(mmengine_style_ckpt, evil_ckpt):
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    with pytest.raises(pickle.UnpicklingError):
        torch.load(mmengine_style_ckpt[0])
    with pytest.raises(pickle.UnpicklingError):
        torch.load(evil_ckpt[0])
    assert not evil_ckpt[1].exists()


def test_mmengine_checkpoints_load_safely(mmengine_style_ckpt):
    path, model = mmengine_style_ckpt
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['seed'] == 7 and ckpt['meta']['hist'].sum() == 3
    buffer = ckpt['message_hub']['log_scalars']['loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.mean() == 1.5
    target = torch.nn.Linear(3, 2)
    load_checkpoint(target, str(path), map_location='cpu', strict=True)
    torch.testing.assert_close(target.weight, model.weight)


def loaders(path):
    """Every way a user names a checkpoint, as callables."""
    def init_cfg():
        ResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(
            path), prefix='backbone.')).init_weights()

    return {
        'load_from / --resume (CheckpointLoader)':
            lambda: CheckpointLoader.load_checkpoint(str(path)),
        'load_checkpoint': lambda: load_checkpoint(torch.nn.Linear(3, 2),
                                                   str(path)),
        'init_cfg Pretrained': init_cfg,
        'teacher loader': lambda: load_state_dict_exactly(
            torch.nn.Linear(3, 2), str(path), 'teacher'),
        'converter': lambda: convert_resnet18_checkpoint(
            str(path), str(path) + '.out'),
    }


@pytest.mark.parametrize('way', list(loaders('x')))
def test_code_in_a_checkpoint_is_refused_everywhere(way, evil_ckpt):
    path, marker = evil_ckpt
    with pytest.raises(UnsafeCheckpointError) as err:
        loaders(path)[way]()
    message = str(err.value)
    assert str(path) in message and TRUST_ENV in message
    assert 'open' in message  # the offending global is named
    assert not marker.exists()


def test_getattr_is_allowed_only_for_history_buffers(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': GetsPrivateAttribute()}, path)
    with pytest.raises(UnsafeCheckpointError, match='__init__'):
        CheckpointLoader.load_checkpoint(str(path))


def test_trusted_files_load_fully_after_opt_in(evil_ckpt, monkeypatch):
    path, marker = evil_ckpt
    monkeypatch.setenv(TRUST_ENV, '1')
    CheckpointLoader.load_checkpoint(str(path))
    assert marker.exists()  # the user's explicit choice


def test_missing_checkpoint_names_the_file(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(str(missing))


def local_loader():
    """MMEngine's registered loader of local files (MMEngine has no public
    getter, see ``mmsde.utils.checkpoint._local_loader``)."""
    return CheckpointLoader._schemes['']


@pytest.fixture
def harmless_ckpt(tmp_path):
    """A checkpoint holding a project's own (harmless) class: the safe loader
    refuses it, MMEngine's own loader loads it where torch is told to."""
    path = tmp_path / 'legacy.pth'
    torch.save(dict(state_dict=torch.nn.Linear(3, 2).state_dict(),
                    meta=Harmless(42)), path)
    return path


@pytest.fixture
def unpatched():
    """Leaves mmsde's loader registered after the test, whatever it did."""
    yield
    patch_checkpoint_loader()
    assert local_loader() is load_checkpoint_file


def test_import_routes_mmengine_local_loader(evil_ckpt, harmless_ckpt):
    assert local_loader() is load_checkpoint_file
    assert load_from_local is not load_checkpoint_file  # MMEngine's own
    path, marker = evil_ckpt
    with pytest.raises(UnsafeCheckpointError, match='open'):
        load_checkpoint(torch.nn.Linear(3, 2), str(path))
    assert not marker.exists()
    with pytest.raises(UnsafeCheckpointError, match='Harmless'):
        load_checkpoint(torch.nn.Linear(3, 2), str(harmless_ckpt))


def test_restore_gives_mmengine_its_own_loader_back(
        harmless_ckpt, unpatched, monkeypatch):
    assert patch_checkpoint_loader() and patch_checkpoint_loader()  # twice
    assert restore_checkpoint_loader()
    assert local_loader() is load_from_local
    assert not restore_checkpoint_loader()  # nothing left to restore

    # MMEngine's loader calls torch.load with torch's defaults: refused by
    # torch itself (not by mmsde) ...
    with pytest.raises(pickle.UnpicklingError) as err:
        load_checkpoint(torch.nn.Linear(3, 2), str(harmless_ckpt))
    assert not isinstance(err.value, UnsafeCheckpointError)
    # ... and loaded fully where the user switches torch's default (only for
    # this harmless file, only in this test)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    ckpt = load_checkpoint(torch.nn.Linear(3, 2), str(harmless_ckpt))
    assert isinstance(ckpt['meta'], Harmless) and ckpt['meta'].value == 42

    # patched again: mmsde's loader, which that variable does not switch
    assert patch_checkpoint_loader() and local_loader() is load_checkpoint_file
    with pytest.raises(UnsafeCheckpointError, match='Harmless'):
        load_checkpoint(torch.nn.Linear(3, 2), str(harmless_ckpt))
    assert restore_checkpoint_loader() and local_loader() is load_from_local


def test_env_var_keeps_mmengine_loader(unpatched, monkeypatch):
    restore_checkpoint_loader()
    monkeypatch.setenv(SAFE_LOADER_ENV, '0')
    assert not patch_checkpoint_loader()
    assert local_loader() is load_from_local
    monkeypatch.setenv(SAFE_LOADER_ENV, '1')
    assert patch_checkpoint_loader()
    assert local_loader() is load_checkpoint_file


def test_env_var_at_import_keeps_mmengine_loader(tmp_path):
    """``MMSDE_SAFE_CHECKPOINT_LOADER=0 python ...``: importing mmsde leaves
    MMEngine's own loader registered (a fresh process, as a user runs)."""
    code = (
        'import mmsde\n'
        'from mmengine.runner.checkpoint import CheckpointLoader, '
        'load_from_local\n'
        'from mmsde.utils.checkpoint import restore_checkpoint_loader\n'
        "assert CheckpointLoader._schemes[''] is load_from_local\n"
        'assert not restore_checkpoint_loader()\n'
        "print('kept')\n")
    env = dict(os.environ, **{SAFE_LOADER_ENV: '0'})
    done = subprocess.run([sys.executable, '-c', code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and 'kept' in done.stdout, done.stderr
