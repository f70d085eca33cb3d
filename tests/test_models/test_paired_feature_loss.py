"""PairedFeatureLoss: MSE of channel-normalised feature maps (MSD-E,
https://arxiv.org/abs/2304.03867)."""
import pytest
import torch
from mmpretrain.registry import MODELS

import mmsde.models  # noqa: F401


def test_mse_of_channel_normalised_maps():
    torch.manual_seed(0)
    a, b = torch.randn(3, 8, 4, 4), torch.randn(3, 8, 4, 4)
    loss = MODELS.build(dict(type='PairedFeatureLoss', loss_weight=0.5))
    na = a / a.norm(dim=1, keepdim=True)  # per spatial position
    nb = b / b.norm(dim=1, keepdim=True)
    expected = 0.5 * ((na - nb)**2).sum() / a.numel()
    assert loss(a, b).item() == pytest.approx(expected.item(), rel=1e-6)


def test_scale_invariant_and_zero_for_equal_directions():
    a = torch.randn(2, 5, 3, 3)
    loss = MODELS.build(dict(type='PairedFeatureLoss'))
    assert loss(a, 3 * a).item() == pytest.approx(0, abs=1e-12)


def test_without_normalisation_is_plain_mse():
    a, b = torch.randn(2, 4), torch.randn(2, 4)
    loss = MODELS.build(dict(type='PairedFeatureLoss', normalize=False))
    assert torch.allclose(loss(a, b), ((a - b)**2).mean())


def test_shape_mismatch_is_refused():
    loss = MODELS.build(dict(type='PairedFeatureLoss'))
    with pytest.raises(ValueError, match=r'non-masked \(2, 4\), masked'):
        loss(torch.randn(2, 4), torch.randn(2, 5))
