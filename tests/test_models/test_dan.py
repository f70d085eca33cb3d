"""DAN (https://arxiv.org/abs/2109.07270): attention, fusion and losses
against hand computation, and one epoch through the tools."""
import math
import re
import sys

import pytest
import torch
import torch.nn.functional as F
from e2e_helpers import REPO, run_tool, scalars, write_tiny_config
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmsde  # noqa: F401
from mmsde.models.fer_methods.dan import (AffinityLoss, ChannelAttention,
                                          DANHead, MultiHeadCrossAttentionNeck,
                                          PartitionLoss, SpatialAttention)

SYNTHETIC_CONFIG = (REPO / 'configs' / 'fer_methods' /
                    'dan_resnet18_1xb32-adam-24e_synthetic-msde.py')
# Added to the tiny end-to-end config: 32 px images (layer4 is then 1x1).
TINY_DAN = """_base_ = './tiny.py'
tiny_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]
train_dataloader = dict(dataset=dict(pipeline=tiny_pipeline))
val_dataloader = dict(dataset=dict(pipeline=tiny_pipeline))
test_dataloader = dict(dataset=dict(pipeline=tiny_pipeline))
"""


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_spatial_attention_map_is_non_negative_and_scales_the_input():
    torch.manual_seed(0)
    sa = SpatialAttention(in_channels=16, mid_channels=8).eval()
    x = torch.randn(2, 16, 5, 5)
    amap = sa.attention_map(x)
    assert amap.shape == (2, 1, 5, 5)
    assert (amap >= 0).all() and (amap > 0).any()
    torch.testing.assert_close(sa(x), x * amap)


def test_channel_attention_weights_lie_in_zero_one():
    torch.manual_seed(0)
    ca = ChannelAttention(in_channels=16, hidden_channels=4).eval()
    x = torch.randn(3, 16, 4, 4)
    pooled = x.mean(dim=(2, 3))
    w = ca.weights(pooled)
    assert w.shape == (3, 16)
    assert ((w > 0) & (w < 1)).all()
    torch.testing.assert_close(ca(x), pooled * w)


def test_neck_log_softmaxes_across_heads_and_pools_the_trunk():
    torch.manual_seed(0)
    neck = MultiHeadCrossAttentionNeck(in_channels=16, num_heads=3,
                                       mid_channels=8, hidden_channels=4)
    neck.init_weights()
    neck.eval()
    x = torch.randn(2, 16, 3, 3)
    pooled, heads = neck((torch.randn(2, 4, 6, 6), x))  # last map is used
    assert pooled.shape == (2, 16) and heads.shape == (2, 3, 16)
    torch.testing.assert_close(pooled, x.mean(dim=(2, 3)))
    raw = torch.stack([h(x) for h in neck.heads], dim=1)
    torch.testing.assert_close(heads, F.log_softmax(raw, dim=1))
    torch.testing.assert_close(heads.exp().sum(dim=1), torch.ones(2, 16))
    # one head: nothing to fuse, the output is left as it is
    single = MultiHeadCrossAttentionNeck(16, 1, 8, 4).eval()
    torch.testing.assert_close(single(x)[1][:, 0], single.heads[0](x))
    with pytest.raises(ValueError, match='num_heads=0'):
        MultiHeadCrossAttentionNeck(num_heads=0)


def test_partition_loss_of_identical_heads_is_maximal():
    eps = sys.float_info.epsilon
    same = torch.randn(4, 1, 8).expand(4, 4, 8)
    loss = PartitionLoss()(same)
    assert loss.item() == pytest.approx(math.log(1 + 4 / eps), rel=1e-5)
    diverse = torch.randn(4, 4, 8)
    assert PartitionLoss()(diverse) < loss / 10


def test_partition_loss_by_hand():
    # B=1, K=2, C=2: channel 0 holds (0, 0), variance 0; channel 1 holds
    # (2, 0): mean 1, unbiased variance (1 + 1) / (2 - 1) = 2
    heads = torch.tensor([[[0., 2.], [0., 0.]]])
    eps = 1e-6
    # the authors' code: log(1 + K / (mean variance + eps)), mean var 1
    code = PartitionLoss(eps=eps, loss_weight=0.5)(heads)
    assert code.item() == pytest.approx(0.5 * math.log(1 + 2 / (1 + eps)))
    # the paper: the mean of log(1 + K / (var_ij + eps)) over channels
    paper = PartitionLoss(eps=eps, per_channel=True)(heads)
    expected = (math.log(1 + 2 / eps) + math.log(1 + 2 / (2 + eps))) / 2
    assert paper.item() == pytest.approx(expected, rel=1e-6)
    assert PartitionLoss()(torch.randn(3, 1, 5)).item() == 0.
    with pytest.raises(ValueError, match=r'\[B, K, C\], got shape \(3, 5\)'):
        PartitionLoss()(torch.randn(3, 5))


def test_affinity_loss_by_hand():
    loss = AffinityLoss(num_classes=3, feat_dim=2, loss_weight=2.0)
    with torch.no_grad():
        loss.centers.copy_(torch.tensor([[0., 0.], [2., 0.], [0., 2.]]))
    feats = torch.tensor([[1., 0.], [2., 1.], [0., 0.]])
    target = torch.tensor([0, 1, 2])
    # squared distances to own centres 1, 1, 4: mean 2; centre variance
    # per dimension (0, 2, 0) -> ((2/3)^2 * 2 + (4/3)^2) / 2 = 4/3, summed
    # over the 2 dimensions 8/3: 2 * 2 / (8/3) = 1.5
    assert loss(feats, target).item() == pytest.approx(1.5)
    assert loss(feats[..., None, None], target).item() == pytest.approx(1.5)
    with pytest.raises(ValueError, match='length 3, centres of feat_dim 2'):
        loss(torch.zeros(3, 3), target)


def test_head_fuses_heads_and_keeps_one_centre_per_class():
    torch.manual_seed(0)
    head = DANHead(num_classes=7, in_channels=16)
    assert head.affinity_loss.centers.shape == (7, 16)
    pooled = torch.randn(6, 16)
    heads = F.log_softmax(torch.randn(6, 4, 16), dim=1)
    head.eval()
    logits = head((pooled, heads))
    assert logits.shape == (6, 7)
    torch.testing.assert_close(head.pre_logits((pooled, heads)),
                               heads.sum(dim=1))
    preds = head.predict((pooled, heads))
    scores = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(scores.sum(dim=1), torch.ones(6))
    assert [p.pred_label.item() for p in preds] == logits.argmax(1).tolist()
    head.train()
    labels = [0, 1, 2, 3, 4, 5]
    losses = head.loss((pooled, heads), samples(labels))
    assert set(losses) == {'loss', 'loss_affinity', 'loss_partition'}
    target = torch.tensor(labels)
    torch.testing.assert_close(losses['loss_affinity'],
                               head.affinity_loss(pooled, target))
    torch.testing.assert_close(losses['loss_partition'],
                               PartitionLoss()(heads))
    sum(losses.values()).backward()  # the centres learn with the model
    assert head.affinity_loss.centers.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='MultiHeadCrossAttentionNeck'):
        head((pooled, ))


def test_classifier_from_config_gives_dan_losses_and_predicts():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(str(SYNTHETIC_CONFIG))
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor = cfg.data_preprocessor
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    inputs = torch.randn(4, 3, 32, 32)
    losses = model.loss(inputs, samples([0, 1, 2, 3]))
    assert set(losses) == {'loss', 'loss_affinity', 'loss_partition'}
    model.eval()
    preds = model.predict(inputs)
    scores = torch.stack([p.pred_score for p in preds])
    assert scores.shape == (4, 7)
    torch.testing.assert_close(scores.sum(dim=1), torch.ones(4))
    assert model(inputs).shape == (4, 7)  # mode='tensor': the logits


@pytest.mark.slow
def test_train_and_test_tools_run_dan(tiny_msde, tmp_path):
    write_tiny_config(tmp_path / 'tiny.py', tiny_msde,
                      base=SYNTHETIC_CONFIG, max_epochs=1)
    config = tmp_path / 'tiny_dan.py'
    config.write_text(TINY_DAN)
    work_dir = tmp_path / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir)
    train = [r for r in scalars(work_dir) if 'loss_partition' in r]
    assert train and all('loss_affinity' in r for r in train)
    proc = run_tool('python', 'tools/test.py', config,
                    work_dir / 'epoch_1.pth', '--work-dir', tmp_path / 'test')
    out = proc.stdout + proc.stderr
    for key in ('non_masked/accuracy', 'masked/accuracy',
                'overall/accuracy'):
        assert re.search(rf'{key}: [\d.]+', out), out[-2000:]
