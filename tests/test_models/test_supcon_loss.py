"""SupConLoss against an independent per-anchor loop (Khosla et al. 2020,
https://arxiv.org/abs/2004.11362)."""
import math

import pytest
import torch
import torch.nn.functional as F

import mmsde.models  # noqa: F401  (registers the modules)
from mmsde.models.losses import SupConLoss


def naive_supcon(features, labels=None, mask=None, temperature=0.07,
                 base_temperature=0.07, contrast_mode='all',
                 exclude_twins=False):
    """The loss of the paper, written out anchor by anchor in float64;
    ``exclude_twins``: an anchor's own sample is left out entirely."""
    z = features.double()
    z = z / z.norm(dim=-1, keepdim=True)
    num, num_views, _ = z.shape
    if mask is None:
        if labels is None:
            mask = torch.eye(num, dtype=torch.float64)
        else:
            mask = (labels[:, None] == labels[None, :]).double()
    mask = mask.double()
    contrast = [(j, w) for w in range(num_views) for j in range(num)]
    anchor_views = num_views if contrast_mode == 'all' else 1
    losses = []
    for a in range(anchor_views):
        for i in range(num):
            others = [(j, w) for (j, w) in contrast
                      if j != i or (w != a and not exclude_twins)]
            sims = {(j, w): float(z[i, a] @ z[j, w]) / temperature
                    for (j, w) in others}
            log_denom = math.log(sum(math.exp(s) for s in sims.values()))
            weights = {(j, w): float(mask[i, j]) for (j, w) in others
                       if mask[i, j] > 0}
            if not weights:
                continue
            mean_log_prob = sum(wt * (sims[k] - log_denom)
                                for k, wt in weights.items()) / sum(
                                    weights.values())
            losses.append(-(temperature / base_temperature) * mean_log_prob)
    return sum(losses) / len(losses)


def nt_xent(z1, z2, temperature):
    """SimCLR's NT-Xent loss (Chen et al. 2020), written independently."""
    z = F.normalize(torch.cat([z1, z2]).double(), dim=1)
    n = z1.size(0)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float('-inf'))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, targets)


@pytest.mark.parametrize('mode', ['all', 'one'])
@pytest.mark.parametrize('temperature', [0.05, 0.1, 0.5, 1.0])
def test_matches_naive_loop_with_labels(mode, temperature):
    torch.manual_seed(0)
    features = torch.randn(7, 2, 5, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 3])  # label 3: one sample
    loss = SupConLoss(temperature, base_temperature=0.07,
                      contrast_mode=mode)(features, labels)
    expected = naive_supcon(features, labels, temperature=temperature,
                            base_temperature=0.07, contrast_mode=mode)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize('mode', ['all', 'one'])
@pytest.mark.parametrize('num_views', [2, 3])
def test_matches_naive_loop_without_labels(mode, num_views):
    torch.manual_seed(1)
    features = torch.randn(6, num_views, 4, dtype=torch.float64)
    loss = SupConLoss(0.2, 0.1, contrast_mode=mode)(features)
    expected = naive_supcon(features, temperature=0.2, base_temperature=0.1,
                            contrast_mode=mode)
    assert loss.item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize('mode', ['all', 'one'])
def test_matches_naive_loop_with_explicit_mask(mode):
    torch.manual_seed(2)
    features = torch.randn(5, 2, 3, dtype=torch.float64)
    mask = (torch.rand(5, 5) > 0.5).double()  # asymmetric
    mask[3] = 0.  # an anchor sample without positives
    loss = SupConLoss(0.3, contrast_mode=mode)(features, mask=mask)
    expected = naive_supcon(features, mask=mask, temperature=0.3,
                            contrast_mode=mode)
    assert loss.item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize('mode', ['all', 'one'])
@pytest.mark.parametrize('num_views', [2, 3])
def test_excluded_twins_match_naive_loop(mode, num_views):
    torch.manual_seed(4)
    features = torch.randn(7, num_views, 5, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 3])  # 2, 3: only twins
    loss = SupConLoss(0.1, 0.1, contrast_mode=mode, exclude_twins=True)
    expected = naive_supcon(features, labels, temperature=0.1,
                            base_temperature=0.1, contrast_mode=mode,
                            exclude_twins=True)
    assert loss(features, labels).item() == pytest.approx(expected,
                                                          rel=1e-10)


def test_excluded_twins_need_labels_and_a_contrast():
    with pytest.raises(ValueError, match='exclude_twins needs labels'):
        SupConLoss(exclude_twins=True)(torch.randn(4, 2, 3))
    features = torch.randn(1, 2, 3, requires_grad=True)  # its twin only
    loss = SupConLoss(exclude_twins=True)(features, torch.tensor([0]))
    loss.backward()
    assert loss.item() == 0 and features.grad.abs().sum() == 0


def test_mask_from_labels_equals_labels():
    torch.manual_seed(3)
    features = torch.randn(6, 2, 8)
    labels = torch.tensor([0, 0, 1, 1, 2, 0])
    mask = (labels[:, None] == labels[None, :]).float()
    loss = SupConLoss()
    assert torch.allclose(loss(features, labels), loss(features, mask=mask))


def test_flat_features_with_labels():
    """[N*V, D] with per-row labels: every row is a single-view sample."""
    torch.manual_seed(4)
    features = torch.randn(4, 2, 6, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 2])
    flat = features.transpose(0, 1).reshape(8, 6)
    loss = SupConLoss(0.1)(flat, labels.repeat(2))
    expected = naive_supcon(features, labels, temperature=0.1)
    assert loss.item() == pytest.approx(expected, rel=1e-10)


def test_all_labels_different_is_nt_xent():
    torch.manual_seed(5)
    z1, z2 = torch.randn(8, 16), torch.randn(8, 16)
    features = torch.stack([z1, z2], dim=1).double()
    for t in (0.1, 0.5):
        loss = SupConLoss(t, base_temperature=t)(features, torch.arange(8))
        unlabelled = SupConLoss(t, base_temperature=t)(features)
        expected = nt_xent(z1, z2, t).item()
        assert loss.item() == pytest.approx(expected, rel=1e-10)
        assert unlabelled.item() == pytest.approx(expected, rel=1e-10)


def test_invariant_to_sample_order():
    torch.manual_seed(6)
    features = torch.randn(9, 2, 5, dtype=torch.float64)
    labels = torch.randint(0, 3, (9, ))
    perm = torch.randperm(9)
    loss = SupConLoss(0.1)
    assert loss(features, labels).item() == pytest.approx(
        loss(features[perm], labels[perm]).item(), rel=1e-12)
    assert loss(features).item() == pytest.approx(
        loss(features[perm]).item(), rel=1e-12)


def test_gradcheck():
    torch.manual_seed(7)
    features = torch.randn(5, 2, 4, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 1, 0, 2, 1])
    for mode in ('all', 'one'):
        loss = SupConLoss(0.5, contrast_mode=mode)
        assert torch.autograd.gradcheck(lambda f: loss(f, labels),
                                        (features, ))
        assert torch.autograd.gradcheck(lambda f: loss(f), (features, ))


def test_anchors_without_positives_give_no_nan():
    features = torch.randn(4, 6, requires_grad=True)
    loss = SupConLoss()(features, torch.tensor([0, 1, 2, 2]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(features.grad).all()
    # no positives at all: zero, with a zero gradient
    features.grad = None
    loss = SupConLoss()(features, torch.arange(4))
    loss.backward()
    assert loss.item() == 0 and torch.all(features.grad == 0)


def test_large_logits_are_stable():
    features = torch.randn(6, 2, 3)
    loss = SupConLoss(temperature=1e-3)(features, torch.tensor([0, 1] * 3))
    assert torch.isfinite(loss)


def test_bfloat16_and_autocast_match_float32():
    torch.manual_seed(8)
    features = torch.randn(16, 2, 32)
    labels = torch.randint(0, 4, (16, ))
    loss = SupConLoss(0.1)
    reference = loss(features, labels)
    low = loss(features.bfloat16(), labels)
    assert low.dtype == torch.float32 and torch.isfinite(low)
    assert low.item() == pytest.approx(reference.item(), rel=2e-2)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        auto = loss(features, labels)
    assert auto.dtype == torch.float32
    assert auto.item() == pytest.approx(reference.item(), rel=1e-6)


def test_collapsed_embeddings_sit_at_the_uniform_value_without_gradient():
    """Every embedding (nearly) the same: ln(2N - 1) for T = T_base, and no
    gradient to leave it (why a projector that can collapse stalls)."""
    torch.manual_seed(0)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    z = (torch.ones(8, 2, 16) + 1e-7 * torch.randn(8, 2, 16)).double()
    z.requires_grad_()
    loss = SupConLoss(temperature=0.1, base_temperature=0.1)(z, labels)
    loss.backward()
    assert loss.item() == pytest.approx(math.log(15), abs=1e-5)
    assert z.grad.abs().max().item() < 1e-5
    spread = torch.randn(8, 2, 16, dtype=torch.float64, requires_grad=True)
    loss = SupConLoss(temperature=0.1, base_temperature=0.1)(spread, labels)
    loss.backward()
    assert spread.grad.abs().max().item() > 1e-2


def naive_with_memory(features, labels, memory, memory_labels, temperature,
                      memory_views=None, twin_across_views=False):
    """Each view of the batch against the batch's other views and the
    remembered ones (contrast only, never anchors), written out;
    ``twin_across_views``: in another view only the twin is a positive, and
    the others of the anchor's label are skipped."""
    z = F.normalize(features.double(), dim=-1)
    mem = F.normalize(memory.double(), dim=-1)
    num, num_views, _ = z.shape
    items = [((j, w), w, z[j, w], int(labels[j])) for w in range(num_views)
             for j in range(num)]
    items += [(('memory', k), None if memory_views is None else
               int(memory_views[k]), mem[k], int(memory_labels[k]))
              for k in range(len(mem))]
    losses = []
    for a in range(num_views):
        for i in range(num):
            label = int(labels[i])
            others = [(float(z[i, a] @ v) / temperature, y)
                      for key, view, v, y in items if key != (i, a) and not (
                          twin_across_views and view != a and y == label
                          and key[0] != i)]
            log_denom = math.log(sum(math.exp(s) for s, _ in others))
            pos = [s - log_denom for s, y in others if y == label]
            if pos:
                losses.append(-sum(pos) / len(pos))
    return sum(losses) / len(losses)


def test_cross_batch_memory_equals_the_loss_over_batch_and_memory():
    torch.manual_seed(0)
    loss = SupConLoss(temperature=0.2, base_temperature=0.2, memory_size=6)
    first, first_labels = torch.randn(4, 2, 5), torch.tensor([0, 1, 2, 1])
    alone = loss(first, first_labels)  # empty memory: the plain loss
    assert alone.item() == pytest.approx(
        naive_supcon(first, first_labels, temperature=0.2,
                     base_temperature=0.2), rel=1e-5)
    views = F.normalize(first.transpose(0, 1).reshape(8, 5), dim=-1)
    torch.testing.assert_close(loss.memory, views[:6])  # newest first
    assert loss.memory_labels.tolist() == [0, 1, 2, 1, 0, 1]

    second = torch.randn(3, 2, 5, requires_grad=True)
    second_labels = torch.tensor([2, 0, 3])  # 3: positives only its twin
    value = loss(second, second_labels)
    assert value.item() == pytest.approx(
        naive_with_memory(second.detach(), second_labels, views[:6],
                          first_labels.repeat(2)[:6],  # view-major
                          0.2), rel=1e-5)
    value.backward()  # the memory is a constant: gradient to the batch only
    assert second.grad is not None and first.grad is None
    newest = F.normalize(second.detach().transpose(0, 1).reshape(6, 5), dim=-1)
    torch.testing.assert_close(loss.memory, newest)
    assert loss.memory_labels.tolist() == [2, 0, 3, 2, 0, 3]


@pytest.mark.parametrize('num_views', [2, 3])
def test_twin_only_across_views_with_memory_matches_naive_loop(num_views):
    torch.manual_seed(5)
    loss = SupConLoss(temperature=0.2, base_temperature=0.2, memory_size=7,
                      cross_view='twin')
    first, first_labels = torch.randn(4, num_views, 5), torch.tensor(
        [0, 1, 2, 1])
    empty = torch.zeros(0, 5)
    assert loss(first, first_labels).item() == pytest.approx(
        naive_with_memory(first, first_labels, empty, [], 0.2, [],
                          twin_across_views=True), rel=1e-5)
    assert loss.memory_views.tolist() == ([0] * 4 + [1] * 3)  # view-major
    memory, memory_labels = loss.memory.clone(), loss.memory_labels.clone()
    second = torch.randn(3, num_views, 5)
    second_labels = torch.tensor([1, 0, 3])
    expected = naive_with_memory(second, second_labels, memory,
                                 memory_labels, 0.2, loss.memory_views,
                                 twin_across_views=True)
    assert loss(second, second_labels).item() == pytest.approx(expected,
                                                               rel=1e-5)
    # two samples of label 1: the default also pulls across their views
    plain = SupConLoss(temperature=0.2, base_temperature=0.2)
    assert plain(first, first_labels).item() != pytest.approx(
        SupConLoss(temperature=0.2, base_temperature=0.2,
                   cross_view='twin')(first, first_labels).item())
    with pytest.raises(ValueError, match='cross_view must be one of'):
        SupConLoss(cross_view='none')


def test_the_memory_is_filled_only_in_training_and_not_saved():
    loss = SupConLoss(memory_size=4).eval()
    loss(torch.randn(2, 2, 3), torch.tensor([0, 1]))
    assert loss.memory.numel() == 0
    loss.train()(torch.randn(2, 2, 3), torch.tensor([0, 1]))
    assert loss.memory.shape == (4, 3)
    assert 'memory' not in loss.state_dict()
    with pytest.raises(ValueError, match='do not fit the memory'):
        loss(torch.randn(2, 2, 5), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='mask cannot be combined'):
        loss(torch.randn(2, 2, 3), mask=torch.eye(2))
    with pytest.raises(ValueError, match='memory_size must be >= 0'):
        SupConLoss(memory_size=-1)


def test_loss_weight_and_argument_checks():
    features = torch.randn(4, 2, 3)
    assert SupConLoss(loss_weight=2.)(features).item() == pytest.approx(
        2 * SupConLoss()(features).item(), rel=1e-6)
    with pytest.raises(ValueError, match='contrast_mode'):
        SupConLoss(contrast_mode='two')
    with pytest.raises(ValueError, match='labels or mask'):
        SupConLoss()(features, torch.arange(4), torch.eye(4))
    with pytest.raises(ValueError, match='no positives'):
        SupConLoss()(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r'mask must have shape \(N, M\)'):
        SupConLoss()(features, mask=torch.eye(3))
