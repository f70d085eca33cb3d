"""Device batch augmentations: rates, shared draws for pairs, geometry."""
import numpy as np
import pytest
import torch

from mmsde.models.utils import (BatchColorJitter, BatchFlip,
                                BatchShiftScaleRotate,
                                PairedClsDataPreprocessor)
from mmsde.models.utils.batch_augments import augment_views


def test_flip_rate_and_exact_mirror():
    torch.manual_seed(0)
    x = torch.rand(4000, 1, 2, 3)
    aug = BatchFlip(prob=0.3)
    params = aug.draw(4000, x.device)
    out = aug.apply(x, params)
    flipped = params['flip']
    assert abs(flipped.float().mean().item() - 0.3) < 0.03  # 4.6 sigma
    assert torch.equal(out[flipped], x[flipped].flip(-1))
    assert torch.equal(out[~flipped], x[~flipped])


def test_pairs_share_every_draw():
    torch.manual_seed(1)
    x = torch.rand(64, 3, 16, 16) * 255
    augments = [BatchFlip(), BatchColorJitter(prob=1.0),
                BatchShiftScaleRotate(prob=1.0, rotate_limit=20)]
    a, b = augment_views(augments, [x, x.clone()])
    assert torch.equal(a, b)  # same draws for both views of each sample
    torch.manual_seed(2)
    c, _ = augment_views(augments, [x, x.clone()])
    assert not torch.equal(a, c)


def test_color_jitter_matches_formula():
    x = torch.full((1, 3, 4, 4), 100.0)
    x[..., 0, 0] = 200.0
    params = dict(brightness=torch.tensor([1.1]),
                  contrast=torch.tensor([0.5]))
    out = BatchColorJitter().apply(x, params)
    bright = x * 1.1
    grey = bright.mean()
    torch.testing.assert_close(out, grey + 0.5 * (bright - grey))


def test_shift_scale_rotate_geometry():
    aug = BatchShiftScaleRotate()
    x = torch.zeros(1, 1, 33, 33)
    x[..., 16, 16] = 1.0  # a dot at the centre
    identity = dict(angle=torch.zeros(1), scale=torch.ones(1),
                    shift=torch.zeros(1, 2))
    torch.testing.assert_close(aug.apply(x, identity), x)
    shifted = aug.apply(x, dict(identity, shift=torch.tensor([[4 / 33,
                                                               0.0]])))
    ys, xs = np.nonzero(shifted[0, 0].numpy() > 0.5)
    assert (ys.tolist(), xs.tolist()) == ([16], [20])  # 4 px to the right
    dot = torch.zeros(1, 1, 33, 33)
    dot[..., 16, 26] = 1.0  # 10 px right of the centre
    turned = aug.apply(dot, dict(identity, angle=torch.tensor([90.0])))
    y, x_ = np.unravel_index(turned[0, 0].argmax().item(), (33, 33))
    assert (y, x_) == (26, 16)  # rotated by 90 degrees about the centre
    with pytest.raises(ValueError, match='scale_range'):
        BatchShiftScaleRotate(scale_range=(0, 1))


def test_preprocessor_augments_training_batches_only():
    pre = PairedClsDataPreprocessor(
        mean=[10.0, 20.0, 30.0], std=[2.0, 2.0, 2.0],
        device_augments=[dict(type='BatchFlip', prob=1.0)])
    img = torch.randint(0, 255, (3, 8, 8), dtype=torch.uint8)
    pair = dict(inputs=[[img], [img.clone()]], data_samples=None)
    test = pre(dict(pair), training=False)['inputs']
    train = pre(dict(pair), training=True)['inputs']
    for t, r in zip(test, train):
        torch.testing.assert_close(r, t.flip(-1))
    single = pre(dict(inputs=[img], data_samples=None), training=True)
    torch.testing.assert_close(single['inputs'], test[0].flip(-1))
    with pytest.raises(TypeError, match='not a batch augmentation'):
        PairedClsDataPreprocessor(device_augments=[dict(type='ResNet',
                                                        depth=18)])
