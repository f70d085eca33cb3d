"""tools/analysis/supcon_reference.py: SupCon against its uniform and
label-shuffled values, checked on embeddings whose answer is known."""
import importlib.util
import math

import pytest
import torch
import torch.nn as nn
from e2e_helpers import REPO
from mmpretrain.structures import DataSample

from mmsde.models.losses import SupConLoss

spec = importlib.util.spec_from_file_location(
    'supcon_reference', REPO / 'tools' / 'analysis' / 'supcon_reference.py')
supcon_reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(supcon_reference)


class Embedded(nn.Module):
    """The inputs are the projections: two views a sample, given as
    ``(view0, view1, labels)`` batches."""

    def __init__(self, **loss_args):
        super().__init__()
        self.contrast_loss = SupConLoss(**loss_args)

    def data_preprocessor(self, batch, training):
        view0, view1, labels = batch
        samples = [DataSample().set_gt_label(int(y)) for y in labels]
        return dict(inputs=[view0, view1], data_samples=samples)

    def extract_feat(self, x):
        return x

    def project(self, feats):
        return feats


def label_batches(num_batches=4, size=14, dim=8, noise=0.0, seed=0):
    """Batches whose two views are the one-hot code of the label (7
    classes), plus Gaussian noise."""
    g = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(num_batches):
        labels = torch.arange(size) % 7
        code = nn.functional.one_hot(labels, dim).float()
        views = [code + noise * torch.randn(size, dim, generator=g)
                 for _ in range(2)]
        batches.append((*views, labels))
    return batches


def test_labels_that_decide_the_embedding_sit_far_below_the_shuffled_value():
    model = Embedded(temperature=0.1, base_temperature=0.1)
    stats = supcon_reference.supcon_references(model, label_batches(), 4)
    # 14 samples, 2 views: each anchor has 27 others, 3 of them positives
    # (2 views x 2 samples of its label, less itself), all at cosine 1
    assert stats['uniform'] == pytest.approx(math.log(27))
    assert stats['true'] == pytest.approx(math.log(3), abs=1e-3)
    assert stats['shuffled'] > stats['uniform'] + 2


def test_true_value_is_the_loss_divided_by_weight_and_temperature_ratio():
    args = dict(temperature=0.5, base_temperature=0.1, loss_weight=0.3)
    batches = label_batches(noise=1.0, seed=1)
    stats = supcon_reference.supcon_references(Embedded(**args), batches, 4)
    loss = SupConLoss(**args)
    expected = [float(loss(torch.stack(b[:2], 1), b[2])) / (0.3 * 5)
                for b in batches]
    assert stats['true'] == pytest.approx(sum(expected) / len(expected))


def test_memory_is_filled_before_measuring_and_keeps_the_true_labels():
    batches = label_batches(num_batches=4, noise=0.5)
    model = Embedded(temperature=0.1, base_temperature=0.1, memory_size=40)
    stats = supcon_reference.supcon_references(model, batches, 2)
    trained = SupConLoss(temperature=0.1, base_temperature=0.1,
                         memory_size=40)
    expected = [float(trained(torch.stack(b[:2], 1), b[2])) for b in batches]
    # batches 0 and 1 fill the memory (28 then 40 views): 2 and 3 count
    assert stats['true'] == pytest.approx((expected[2] + expected[3]) / 2)
    assert torch.equal(model.contrast_loss.memory_labels,
                       trained.memory_labels)
    assert torch.equal(model.contrast_loss.memory, trained.memory)
    assert stats['uniform'] == pytest.approx(math.log(27 + 40))


def test_too_few_batches_to_fill_the_memory_are_refused():
    model = Embedded(memory_size=1000)
    with pytest.raises(ValueError, match='memory of 1000 views'):
        supcon_reference.supcon_references(model, label_batches(), 4)
