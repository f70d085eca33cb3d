"""Fast-path options train a step to the same loss as the plain path:
channels-last weights and bfloat16 autocast within a stated tolerance.
``BF16OptimWrapper`` (``--amp`` on a CPU) in test_bf16.py."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import autocast
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmsde.apis import load_config
from mmsde.engine import ChannelsLastHook


def classifier():
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=7, in_channels=512),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[128] * 3,
                               std=[64] * 3, to_rgb=True)))


def batch(n=8, size=64):
    generator = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8,
                           generator=generator)
    samples = [DataSample().set_gt_label(i % 7) for i in range(n)]
    return dict(inputs=list(images), data_samples=samples)


def train_step(model):
    wrapper = OptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    losses = model.train_step(batch(), wrapper)
    return losses['loss'].item(), model.backbone.conv1.weight.detach()


def test_channels_last_hook_same_loss_and_update():
    plain = classifier()
    fast = copy.deepcopy(plain)
    ChannelsLastHook().before_run(SimpleNamespace(model=fast))
    weight = fast.backbone.conv1.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    loss_a, w_a = train_step(plain)
    loss_b, w_b = train_step(fast)
    assert loss_b == pytest.approx(loss_a, rel=1e-5)
    torch.testing.assert_close(w_b, w_a, rtol=1e-4, atol=1e-6)


def test_bfloat16_autocast_same_loss_within_tolerance():
    """The numerics of AMP's autocast (bfloat16 here: MMEngine's
    AmpOptimWrapper itself trains on GPUs only)."""
    model = classifier()
    data = model.data_preprocessor(batch(), True)
    loss_a = model(**data, mode='loss')['loss'].item()
    with autocast(device_type='cpu', dtype=torch.bfloat16):
        loss_b = model(**data, mode='loss')['loss'].item()
    # bfloat16 keeps 8 bits of mantissa: about 0.4% per operation
    assert loss_b == pytest.approx(loss_a, rel=0.02)


@pytest.mark.slow
def test_torch_compile_same_loss():
    """``compile=True`` (MMEngine compiles ``train_step``) on the CPU."""
    plain = classifier()
    fast = copy.deepcopy(plain)
    fast.train_step = torch.compile(fast.train_step)  # as MMEngine does
    loss_a, w_a = train_step(plain)
    loss_b, w_b = train_step(fast)
    assert loss_b == pytest.approx(loss_a, rel=1e-4)
    torch.testing.assert_close(w_b, w_a, rtol=1e-3, atol=1e-5)
