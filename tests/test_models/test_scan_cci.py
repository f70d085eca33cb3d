"""SCAN-CCI (Gera & Balasubramanian 2020): the attention map, the patch and
quadrant splits, ECA, the loss and the prediction against hand computation,
the truncated face-pretrained trunk, and one tiny training run."""
import pickle
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from e2e_helpers import REPO, run_tool, scalars, write_tiny_config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmsde  # noqa: F401
import mmsde.models.fer_methods.scan_cci  # noqa: F401  (registers)
from mmsde.models.fer_methods.scan_cci import SCANCCIHead
from mmsde.models.fer_methods.scan_cci_modules import (ECA, CCIBranch,
                                                       SCANBranch,
                                                       SpatioChannelAttention,
                                                       grid_patches,
                                                       grid_spans,
                                                       patch_max_pool,
                                                       quadrants)

SYNTHETIC_CONFIG = (REPO / 'configs' / 'fer_methods' /
                    'scan-cci_resnet18_1xb32-adam-12e_synthetic-msde.py')
TRUNK = dict(type='ResNet', depth=18, num_stages=3, strides=(1, 2, 2),
             dilations=(1, 1, 1), out_indices=(1, 2))


class Ones(nn.Module):
    """An attention net that keeps every feature."""

    def forward(self, x):
        return torch.ones_like(x)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_attention_map_has_input_shape_and_lies_in_0_1():
    torch.manual_seed(0)
    net = SpatioChannelAttention(4)
    x = torch.randn(3, 4, 6, 5)
    att = net(x)
    assert att.shape == x.shape
    assert (att > 0).all() and (att < 1).all()
    # conv3x3 -> PReLU -> BN -> sigmoid, by hand (train-mode BN, affine 1/0)
    pre = F.prelu(F.conv2d(x, net.conv.weight, padding=1), net.act.weight)
    mean = pre.mean(dim=(0, 2, 3), keepdim=True)
    var = pre.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    torch.testing.assert_close(att, torch.sigmoid((pre - mean) /
                                                  torch.sqrt(var + 1e-5)))


def test_grid_of_the_authors_28x28_map_has_their_25_patches():
    assert grid_spans(28, 6) == [(0, 6), (6, 12), (12, 18), (18, 24),
                                 (24, 28)]
    sizes = [tuple(p.shape[2:]) for p in
             grid_patches(torch.zeros(1, 1, 28, 28), 6)]
    assert len(sizes) == 25
    assert sorted(set(sizes)) == [(4, 4), (4, 6), (6, 4), (6, 6)]
    assert [sizes.count(s) for s in [(6, 6), (6, 4), (4, 6), (4, 4)]] == \
        [16, 4, 4, 1]
    with pytest.raises(ValueError, match='patch_size must be >= 1, got 0'):
        grid_spans(8, 0)


def test_patch_pooling_is_max_over_patches_of_patch_means():
    channel = torch.arange(9.).reshape(3, 3)  # [[0 1 2] [3 4 5] [6 7 8]]
    x = torch.stack([channel, -channel]).unsqueeze(0)  # [1, 2, 3, 3]
    patches = grid_patches(x, 2)  # 2x2, 2x1, 1x2, 1x1
    # channel 0: means 2, 3.5, 6.5, 8 -> 8; channel 1: -2 ... -> -2
    torch.testing.assert_close(patch_max_pool(patches),
                               torch.tensor([[8., -2.]]))


def test_scan_descriptor_concatenates_local_max_and_global_mean():
    branch = SCANBranch(in_channels=2, num_classes=3, patch_size=2)
    branch.local_attention = Ones()
    branch.global_attention = Ones()
    channel = torch.arange(9.).reshape(3, 3)
    x = torch.stack([channel, -channel]).unsqueeze(0)
    # local [8, -2], global [4, -4]; then L2-normalised
    expected = torch.tensor([[8., -2., 4., -4.]]) / 10.0
    torch.testing.assert_close(branch.descriptor(x), expected)
    torch.testing.assert_close(branch(x), branch.fc(expected))


def test_quadrants_split_at_half_height_and_width():
    x = torch.arange(16.).reshape(1, 1, 4, 4)
    tl, tr, bl, br = (q[0, 0].tolist() for q in quadrants(x))
    assert tl == [[0, 1], [4, 5]] and tr == [[2, 3], [6, 7]]
    assert bl == [[8, 9], [12, 13]] and br == [[10, 11], [14, 15]]
    odd = [tuple(q.shape[2:]) for q in quadrants(torch.zeros(1, 1, 5, 5))]
    assert odd == [(2, 2), (2, 3), (3, 2), (3, 3)]
    with pytest.raises(ValueError, match='at least 2x2 cells.*got 1x4'):
        quadrants(torch.zeros(1, 1, 1, 4))


def test_eca_weights_channels_by_a_1d_conv_of_their_means():
    eca = ECA(kernel_size=3)
    with torch.no_grad():
        eca.conv.weight.copy_(torch.tensor([[[0.5, 1.0, -1.0]]]))
    x = torch.tensor([1., 2., 3.]).reshape(1, 3, 1, 1).expand(1, 3, 2, 2)
    # means g = (1, 2, 3), zero padded: s_c = .5 g_{c-1} + g_c - g_{c+1}
    s = torch.tensor([0 + 1 - 2, 0.5 + 2 - 3, 1 + 3 - 0])
    torch.testing.assert_close(eca(x), x * torch.sigmoid(s)[None, :, None,
                                                            None])
    with pytest.raises(ValueError, match='must be odd, got 4'):
        ECA(4)


def test_cci_classifies_each_quadrant_with_one_shared_mlp():
    torch.manual_seed(0)
    branch = CCIBranch(in_channels=8, num_classes=3, reduction=4)
    assert sum(isinstance(m, nn.Linear) for m in branch.modules()) == 2
    y = torch.randn(2, 8, 4, 4)
    expected = torch.stack(
        [branch.mlp(q.mean(dim=(2, 3))) for q in quadrants(branch.eca(y))],
        dim=1)
    assert expected.shape == (2, 4, 3)
    torch.testing.assert_close(branch(y), expected)


@pytest.fixture
def head_and_feats():
    torch.manual_seed(0)
    head = SCANCCIHead(num_classes=7, in_channels=(8, 16), patch_size=2)
    feats = (torch.randn(4, 4, 16, 16), torch.randn(4, 8, 8, 8),
             torch.randn(4, 16, 4, 4))  # extra leading maps are ignored
    return head, feats


def test_loss_is_0_2_ce_attention_plus_0_8_sum_of_region_ces(
        head_and_feats):
    head, feats = head_and_feats
    labels = torch.tensor([0, 3, 6, 3])
    losses = head.loss(feats, samples(labels))
    assert set(losses) == {'loss_att', 'loss_cci'}
    z = head.branch_logits(feats)
    assert z.shape == (4, 5, 7)
    torch.testing.assert_close(z[:, 0], head.scan(feats[1]))
    torch.testing.assert_close(z[:, 1:], head.cci(feats[2]))
    ce_att = F.cross_entropy(z[:, 0], labels)
    ce_regions = [F.cross_entropy(z[:, r], labels) for r in range(1, 5)]
    torch.testing.assert_close(losses['loss_att'], 0.2 * ce_att)
    torch.testing.assert_close(losses['loss_cci'],
                               0.8 * torch.stack(ce_regions).sum())


def test_prediction_is_softmax_of_the_mean_of_five_logit_sets(
        head_and_feats):
    head, feats = head_and_feats
    head.eval()
    with torch.no_grad():
        z = head.branch_logits(feats)
        preds = head.predict(feats)
        mean_logits = z.mean(dim=1)
        torch.testing.assert_close(head(feats), mean_logits)
    scores = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(scores, mean_logits.softmax(dim=1))
    # averaging logits, not probabilities
    assert not torch.allclose(scores, z.softmax(dim=2).mean(dim=1))
    assert [p.pred_label.item() for p in preds] == \
        mean_logits.argmax(dim=1).tolist()


def test_head_names_wrong_channels_and_missing_maps(head_and_feats):
    head, feats = head_and_feats
    with pytest.raises(ValueError, match=r'in_channels is \(8, 16\) but '
                       r'the maps have \(4, 8\)'):
        head(feats[:2])
    with pytest.raises(ValueError, match='needs two backbone maps'):
        head(feats[2:])


def test_truncated_trunk_loads_a_full_resnet18_checkpoint(tmp_path):
    init_default_scope('mmpretrain')
    full = MODELS.build(dict(type='ResNet', depth=18))
    ckpt = tmp_path / 'full.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in full.state_dict().items()}}, ckpt)
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(TRUNK, init_cfg=dict(type='Pretrained',
                                           checkpoint=str(ckpt),
                                           prefix='backbone.')),
        head=dict(type='SCANCCIHead', num_classes=7, in_channels=(128, 256),
                  patch_size=2)))
    model.init_weights()  # layer4 keys are unexpected, not an error
    assert not hasattr(model.backbone, 'layer4')
    torch.testing.assert_close(model.backbone.layer3[1].conv2.weight,
                               full.layer3[1].conv2.weight)
    model.eval()
    with torch.no_grad():
        maps = model.extract_feat(torch.rand(1, 3, 64, 64))
        assert [tuple(m.shape) for m in maps] == [(1, 128, 8, 8),
                                                  (1, 256, 4, 4)]
        assert model(torch.rand(1, 3, 64, 64)).shape == (1, 7)


@pytest.mark.slow
def test_train_one_epoch_then_test_tool_reports_masked_metrics(
        tiny_msde, tmp_path):
    tiny = write_tiny_config(tmp_path / 'tiny.py', tiny_msde,
                             base=SYNTHETIC_CONFIG, max_epochs=1)
    work_dir = tmp_path / 'run'
    run_tool('python', 'tools/train.py', tiny, '--work-dir', work_dir)
    train = [r for r in scalars(work_dir) if 'loss_cci' in r]
    assert train and all('loss_att' in r for r in train)
    out = tmp_path / 'preds.pkl'
    proc = run_tool('python', 'tools/test.py', tiny, work_dir / 'epoch_1.pth',
                    '--work-dir', tmp_path / 'test', '--out', out)
    log = proc.stdout + proc.stderr
    for key in ('non_masked/accuracy', 'masked/accuracy',
                'overall/accuracy'):
        assert re.search(rf'{key}: [\d.]+', log), key
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 28  # 2 test subjects x 7 labels x 2 views
    assert all(p['pred_score'].shape == (7, ) for p in preds)
