"""tools/analysis/loss_gradients.py against gradients computed by hand."""
import importlib.util
import math

import pytest
import torch
import torch.nn as nn
from e2e_helpers import REPO

spec = importlib.util.spec_from_file_location(
    'loss_gradients', REPO / 'tools' / 'analysis' / 'loss_gradients.py')
loss_gradients = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loss_gradients)


class TwoLosses(nn.Module):
    """loss_cls = sum(w * x), loss_aux = 3 * sum(w * x) on a 4-vector w:
    gradients x and 3x, whatever w is."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(4, 1, bias=False)
        self.head = nn.Linear(1, 1)

    def data_preprocessor(self, batch, training):
        return dict(inputs=batch)

    def forward(self, inputs, mode):
        out = (self.backbone.weight * inputs).sum()
        return dict(loss_cls=out, loss_aux=3 * out, acc=out.detach())


def test_gradient_norms_and_values():
    model = TwoLosses()
    batches = [torch.tensor([1., 2., 2., 0.]), torch.tensor([0., 0., 3., 4.])]
    stats = loss_gradients.loss_gradient_norms(model, batches)
    assert set(stats) == {'loss_cls', 'loss_aux'}  # not 'acc'
    mean_norm = (3.0 + 5.0) / 2  # |x| of the two batches
    assert stats['loss_cls']['grad_norm'] == pytest.approx(mean_norm)
    assert stats['loss_aux']['grad_norm'] == pytest.approx(3 * mean_norm)
    w = model.backbone.weight.detach()
    expected = sum(float((w * b).sum()) for b in batches) / 2
    assert stats['loss_cls']['value'] == pytest.approx(expected)
    assert not math.isnan(stats['loss_aux']['value'])


def test_unknown_prefix_is_refused():
    with pytest.raises(ValueError, match='no trainable parameters'):
        loss_gradients.loss_gradient_norms(TwoLosses(), [], prefix='neck.')
