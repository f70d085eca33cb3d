"""torch >= 2.6 safe loading stays on; MMEngine loads named checkpoints."""
import os
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, load_checkpoint

import mmsde  # noqa: F401  (applies the loader fix)


class Payload:
    """A pickled object that torch's safe loader must refuse."""

    def __reduce__(self):
        return (os.getcwd, ())


@pytest.fixture
def mmengine_style_ckpt(tmp_path):
    """A checkpoint with the pickled objects MMEngine writes on resume."""
    path = tmp_path / 'epoch_1.pth'
    model = torch.nn.Linear(3, 2)
    torch.save(
        dict(
            meta=dict(epoch=1),
            state_dict=model.state_dict(),
            message_hub=dict(log_scalars={'loss': HistoryBuffer([1.0], [1])})),
        path)
    return path, model


def test_plain_torch_load_stays_safe(mmengine_style_ckpt, tmp_path):
    path, _ = mmengine_style_ckpt
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    evil = tmp_path / 'evil.pth'
    torch.save({'x': Payload()}, evil)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(evil)


def test_mmengine_loads_named_checkpoint(mmengine_style_ckpt):
    path, model = mmengine_style_ckpt
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['epoch'] == 1
    assert isinstance(ckpt['message_hub']['log_scalars']['loss'],
                      HistoryBuffer)
    target = torch.nn.Linear(3, 2)
    load_checkpoint(target, str(path), map_location='cpu', strict=True)
    torch.testing.assert_close(target.weight, model.weight)


def test_missing_checkpoint_names_the_file(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(str(missing))
