"""Safe checkpoint loading: MMEngine's and mmsde's checkpoints load with
torch's weights_only unpickler plus an exact allow-list; a checkpoint whose
pickle would run code is refused everywhere a user can name one."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, load_checkpoint
from mmpretrain.models import ResNet

import mmsde  # noqa: F401  (routes MMEngine's loader through mmsde)
from mmsde.utils import TRUST_ENV, UnsafeCheckpointError
from mmsde.utils.convert import (convert_resnet18_checkpoint,
                                 load_state_dict_exactly)


class WritesMarker:
    """A pickled object whose loading writes a file: the attack."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, 'w'))


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
