"""SCN (https://arxiv.org/abs/2002.10392): importance weighting, rank
regularisation and relabelling against hand computation, the relabel hook
on dataset label stores, and one epoch through the tools."""
import json
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

import mmsde  # noqa: F401
from mmsde.engine.hooks import scn_relabel_hook
from mmsde.engine.hooks.scn_relabel_hook import (STATE_KEY, SCNRelabelHook,
                                                 restart_persistent_workers,
                                                 set_dataset_labels)
from mmsde.models.fer_methods.scn import (SCNHead, SCNRankLoss,
                                          high_importance_mask, relabel_rule)

SYNTHETIC_CONFIG = ('configs/fer_methods/'
                    'scn_resnet18_1xb32-adam-24e_synthetic-msde.py')


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- rank loss
def test_rank_loss_hand_computed_margin_violation():
    # N=4, beta=0.7: floor(2.8) = 2 high; high {0.6, 0.55}, low {0.5, 0.45}
    alpha = torch.tensor([0.5, 0.6, 0.45, 0.55], requires_grad=True)
    loss = SCNRankLoss(margin=0.15, ratio=0.7, loss_weight=2.0)(alpha)
    gap = (0.6 + 0.55) / 2 - (0.5 + 0.45) / 2  # 0.1
    assert loss.item() == pytest.approx(2.0 * (0.15 - gap), abs=1e-6)
    loss.backward()
    # d/d high = -w / |H|, d/d low = +w / |L|
    torch.testing.assert_close(alpha.grad,
                               torch.tensor([1.0, -1.0, 1.0, -1.0]))


def test_rank_loss_is_zero_when_the_groups_are_apart():
    # N=10: top 7 mean 0.6, bottom 3 mean 0.35/3; gap 0.483 > 0.15
    alpha = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    assert high_importance_mask(alpha, 0.7).tolist() == [True] * 7 + [
        False] * 3
    assert SCNRankLoss(margin=0.15)(alpha).item() == 0.0
    # a margin beyond the gap makes it positive again
    gap = 4.2 / 7 - 0.35 / 3
    assert SCNRankLoss(margin=0.6)(alpha).item() == pytest.approx(
        0.6 - gap, abs=1e-6)


def test_rank_loss_of_a_single_image_batch_is_zero_with_a_graph():
    alpha = torch.tensor([0.3], requires_grad=True)
    loss = SCNRankLoss()(alpha)
    assert loss.item() == 0.0 and loss.requires_grad


def test_rank_loss_refuses_bad_ratio():
    with pytest.raises(ValueError, match='ratio must be in'):
        SCNRankLoss(ratio=1.0)


# --------------------------------------------------- head with known outputs
def controlled_head(**kwargs) -> SCNHead:
    """3 classes on 4-d features ``[z_0, z_1, z_2, a]``: ``fc(x) = z`` and
    ``alpha = sigmoid(a)``."""
    head = SCNHead(num_classes=3, in_channels=4, init_cfg=None, **kwargs)
    with torch.no_grad():
        head.fc.weight.copy_(torch.cat([torch.eye(3), torch.zeros(3, 1)], 1))
        head.fc.bias.zero_()
        head.attention[0].weight.copy_(torch.tensor([[0., 0., 0., 1.]]))
        head.attention[0].bias.zero_()
    return head


# four samples, beta 0.7: s0, s1 high importance; s2, s3 low
Z = [[0., 5., 0.], [5., 0., 0.], [0., 0., 10.], [0., 1., 0.]]
A = [2.0, 1.5, -1.0, -2.0]
LABELS = [0, 0, 1, 0]
INDICES = [5, 6, 7, 8]


def batch():
    feats = (torch.tensor([z + [a] for z, a in zip(Z, A)]), )
    data_samples = [
        DataSample(metainfo=dict(sample_idx=i, img_path=f'img{i}.png'))
        .set_gt_label(y) for i, y in zip(INDICES, LABELS)
    ]
    for i, sample in enumerate(data_samples):
        sample.set_field(bool(i % 2), 'masked')
    return feats, data_samples


def test_logits_are_weighted_by_the_importance():
    head = controlled_head()
    feats, _ = batch()
    alpha = sigmoid(A)
    expected = alpha[:, None] * np.asarray(Z)
    np.testing.assert_allclose(head(feats).detach().numpy(), expected,
                               rtol=1e-6)
    np.testing.assert_allclose(head.importance(feats).detach().numpy(),
                               alpha, rtol=1e-6)


def test_head_loss_is_weighted_ce_plus_rank_loss():
    head = controlled_head()
    feats, data_samples = batch()
    losses = head.loss(feats, data_samples)
    probs = softmax(sigmoid(A)[:, None] * np.asarray(Z))
    ce = -np.mean(np.log(probs[np.arange(4), LABELS]))
    assert losses['loss'].item() == pytest.approx(ce, rel=1e-5)
    alpha = sigmoid(A)
    gap = alpha[:2].mean() - alpha[2:].mean()  # 0.715 > 0.15
    assert losses['loss_rank'].item() == pytest.approx(max(0, 0.15 - gap))
    assert losses['importance_high'].item() == pytest.approx(
        alpha[:2].mean(), rel=1e-6)
    assert losses['importance_low'].item() == pytest.approx(
        alpha[2:].mean(), rel=1e-6)
    assert 'relabel_count' not in losses  # relabel off by default
    assert head.pop_relabel_candidates() == []


# --------------------------------------------------------------- relabelling
def test_relabel_rule_on_hand_made_probabilities():
    probs = torch.tensor([[.1, .7, .2],   # high group, 0.6 over its label
                          [.5, .3, .2],   # label is the max
                          [.2, .35, .45],  # low group, only 0.1 over
                          [.1, .2, .7]])  # low group, 0.6 over
    labels = torch.tensor([0, 0, 1, 0])
    high = torch.tensor([True, True, False, False])
    change, new = relabel_rule(probs, labels, high, margin=0.2)
    assert change.tolist() == [False, False, False, True]
    assert new[3].item() == 2
    change, _ = relabel_rule(probs, labels, high, margin=0.2, scope='all')
    assert change.tolist() == [True, False, False, True]
    change, _ = relabel_rule(probs, labels, high, margin=0.05, scope='all')
    assert change.tolist() == [True, False, True, True]
    with pytest.raises(ValueError, match="got 'some'"):
        relabel_rule(probs, labels, high, scope='some')


def expected_changes(scope):
    """Hand computation of the controlled batch's changes."""
    probs = softmax(sigmoid(A)[:, None] * np.asarray(Z))
    low = np.array([False, False, True, True])  # floor(0.7 * 4) = 2 high
    out = []
    for i, (p, y) in enumerate(zip(probs, LABELS)):
        if p.max() - p[y] > 0.2 and p.argmax() != y and (
                scope == 'all' or low[i]):
            out.append((INDICES[i], y, int(p.argmax())))
    return out


@pytest.mark.parametrize('scope', ['low_importance', 'all'])
def test_head_proposes_the_hand_computed_changes(scope):
    assert expected_changes('low_importance') == [(7, 1, 2)]
    assert expected_changes('all') == [(5, 0, 1), (7, 1, 2)]
    head = controlled_head(relabel_scope=scope)
    head.relabel = True
    feats, data_samples = batch()
    losses = head.loss(feats, data_samples)
    found = head.pop_relabel_candidates()
    assert [(c['sample_idx'], c['old'], c['new'])
            for c in found] == expected_changes(scope)
    assert losses['relabel_count'].item() == len(found)
    assert all(c['img_path'] == f'img{c["sample_idx"]}.png' for c in found)
    assert head.pop_relabel_candidates() == []  # popped


def test_head_refuses_unknown_scope():
    with pytest.raises(ValueError, match='relabel_scope'):
        SCNHead(num_classes=3, in_channels=4, relabel_scope='batch')


# ---------------------------------------------------------------- the hook
class ToyDataset(BaseDataset):
    """In-memory samples following the data contract."""

    def __init__(self, labels, **kwargs):
        self._labels = list(labels)
        # the serialized store is tested where named: serializing runs
        # gc.collect(), slow in a test process
        kwargs.setdefault('serialize_data', False)
        super().__init__(**kwargs)

    def load_data_list(self):
        return [
            dict(img_path=f'img{i}.png', gt_label=int(y), masked=bool(i % 2),
                 subject=str(i), pair_id=str(i // 2))
            for i, y in enumerate(self._labels)
        ]


# samples 5..8 carry the controlled batch's labels
TOY_LABELS = [3, 3, 3, 3, 3, 0, 0, 1, 0, 3]


def fake_runner(tmp_path, dataset, epoch, head, name):
    loader = DataLoader(dataset, batch_size=4, collate_fn=pseudo_collate)
    return SimpleNamespace(
        model=SimpleNamespace(head=head), epoch=epoch, iter=123,
        work_dir=str(tmp_path), train_dataloader=loader,
        train_loop=object.__new__(EpochBasedTrainLoop),
        logger=MMLogger.get_current_instance(),
        message_hub=MessageHub.get_instance(name))


def labels_of(dataset):
    return [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]


def finish_epoch(hook, runner, head) -> None:
    """One training iteration on the toy batch, then the epoch's end."""
    feats, data_samples = batch()
    head.loss(feats, data_samples)
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)


def test_hook_switches_relabelling_on_at_the_start_epoch(tmp_path):
    head = controlled_head()
    hook = SCNRelabelHook(start_epoch=10)
    runner = fake_runner(tmp_path, ToyDataset(TOY_LABELS), 8, head,
                         'scn-schedule')
    hook.before_train_epoch(runner)  # the 9th epoch
    assert head.relabel is False
    finish_epoch(hook, runner, head)
    assert labels_of(runner.train_dataloader.dataset) == TOY_LABELS
    assert not (tmp_path / 'scn_relabels.jsonl').exists()
    runner.epoch = 9  # the 10th epoch
    hook.before_train_epoch(runner)
    assert head.relabel is True


@pytest.mark.parametrize('serialize_data', [True, False])
def test_hook_applies_and_logs_every_change(tmp_path, serialize_data):
    head = controlled_head()
    dataset = ToyDataset(TOY_LABELS, serialize_data=serialize_data)
    runner = fake_runner(tmp_path, dataset, 9, head,
                         f'scn-apply-{serialize_data}')
    hook = SCNRelabelHook(start_epoch=10)
    hook.before_train_epoch(runner)
    finish_epoch(hook, runner, head)

    expected = list(TOY_LABELS)
    expected[7] = 2
    assert labels_of(dataset) == expected
    lines = (tmp_path / 'scn_relabels.jsonl').read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert {k: record[k] for k in ('epoch', 'iter', 'sample_idx',
                                   'img_path', 'old', 'new', 'masked')} == \
        dict(epoch=10, iter=124, sample_idx=7, img_path='img7.png', old=1,
             new=2, masked=False)
    assert record['p_new'] > record['p_old'] + 0.2
    state = runner.message_hub.get_info(STATE_KEY)
    assert state == dict(num_samples=10, labels={7: 2})


def test_hook_gathers_changes_of_every_rank_and_logs_on_main_only(
        tmp_path, monkeypatch):
    other_rank = [dict(epoch=10, iter=124, sample_idx=0, old=3, new=4),
                  dict(epoch=10, iter=124, sample_idx=7, old=2, new=5)]
    monkeypatch.setattr(scn_relabel_hook, 'all_gather_object',
                        lambda local: [local, other_rank])
    head = controlled_head()
    for main in (True, False):
        monkeypatch.setattr(scn_relabel_hook, 'is_main_process',
                            lambda main=main: main)
        work = tmp_path / str(main)
        work.mkdir()
        dataset = ToyDataset(TOY_LABELS)
        runner = fake_runner(work, dataset, 9, head, f'scn-dist-{main}')
        hook = SCNRelabelHook(start_epoch=1)
        hook.before_train_epoch(runner)
        finish_epoch(hook, runner, head)
        # rank 0's 7: 1->2, then rank 1's 0: 3->4 and 7: 2->5 (last wins)
        expected = list(TOY_LABELS)
        expected[0], expected[7] = 4, 5
        assert labels_of(dataset) == expected
        log = work / 'scn_relabels.jsonl'
        if main:
            assert len(log.read_text().splitlines()) == 3
        else:
            assert not log.exists()


def test_hook_restores_the_labels_of_a_resumed_run(tmp_path):
    head = controlled_head()
    dataset = ToyDataset(TOY_LABELS)
    runner = fake_runner(tmp_path, dataset, 12, head, 'scn-resume')
    runner.message_hub.update_info(
        STATE_KEY, dict(num_samples=10, labels={2: 6, 7: 2}))
    SCNRelabelHook().before_train(runner)
    expected = list(TOY_LABELS)
    expected[2], expected[7] = 6, 2
    assert labels_of(dataset) == expected
    runner.message_hub.update_info(STATE_KEY,
                                   dict(num_samples=11, labels={2: 6}))
    with pytest.raises(ValueError, match='11 samples'):
        SCNRelabelHook().before_train(runner)


def test_hook_refuses_a_model_without_scn_head(tmp_path):
    runner = fake_runner(tmp_path, ToyDataset(TOY_LABELS), 0, None,
                         'scn-nohead')
    with pytest.raises(TypeError, match='SCNHead'):
        SCNRelabelHook().before_train_epoch(runner)


def test_persistent_workers_see_changes_only_after_a_restart():
    dataset = ToyDataset(TOY_LABELS, serialize_data=True)
    loader = DataLoader(dataset, batch_size=10, num_workers=1,
                        persistent_workers=True, collate_fn=pseudo_collate)

    def epoch_labels():
        return [int(x) for b in loader for x in b['gt_label']]

    assert epoch_labels() == TOY_LABELS
    set_dataset_labels(dataset, {0: 6})
    assert epoch_labels() == TOY_LABELS, 'the worker holds a stale copy'
    assert restart_persistent_workers(loader)
    assert epoch_labels() == [6] + TOY_LABELS[1:]
    assert not restart_persistent_workers(DataLoader(dataset))


def test_set_dataset_labels_refuses_outside_indices():
    with pytest.raises(IndexError, match=r'\[10\]'):
        set_dataset_labels(ToyDataset(TOY_LABELS), {10: 1})


class DerivedKeyDataset(ToyDataset):
    """Adds a key when read, as FER2013 expands its grey pixels."""

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        info['img_path'] = 'derived/' + info['img_path']
        return info


def test_set_dataset_labels_stores_what_the_serialized_store_held():
    dataset = DerivedKeyDataset(TOY_LABELS, serialize_data=True)
    set_dataset_labels(dataset, {3: 6})
    assert dataset.serialize_data is False
    assert labels_of(dataset) == TOY_LABELS[:3] + [6] + TOY_LABELS[4:]
    info = dataset.get_data_info(3)
    assert info['img_path'] == 'derived/img3.png'  # derived once, not twice
    assert info['sample_idx'] == 3 and len(dataset) == len(TOY_LABELS)


# ----------------------------------------------------------- as a classifier
def test_predicts_like_an_image_classifier_and_loads_into_one():
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    # a narrow ResNet-18 (64 channels out) keeps the test fast
    common = dict(backbone=dict(type='ResNet', depth=18, base_channels=8),
                  neck=dict(type='GlobalAveragePooling'))
    model = ImageClassifier(
        **common, head=dict(type='SCNHead', num_classes=7, in_channels=64))
    model.init_weights()
    model.eval()
    inputs = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        preds = model.predict(inputs)
        feats = model.extract_feat(inputs)[-1]
    scores = torch.stack([p.pred_score for p in preds])
    assert scores.shape == (3, 7)
    torch.testing.assert_close(scores.sum(dim=1), torch.ones(3))
    alpha = torch.sigmoid(feats @ model.head.attention[0].weight.T +
                          model.head.attention[0].bias)
    logits = alpha * (feats @ model.head.fc.weight.T + model.head.fc.bias)
    torch.testing.assert_close(scores, logits.softmax(dim=1))
    assert [p.pred_label.item() for p in preds] == \
        scores.argmax(dim=1).tolist()

    plain = ImageClassifier(
        **common, head=dict(type='LinearClsHead', num_classes=7,
                            in_channels=64)).eval()
    result = plain.load_state_dict(model.state_dict(), strict=False)
    assert result.missing_keys == []
    assert sorted(result.unexpected_keys) == ['head.attention.0.bias',
                                              'head.attention.0.weight']
    with torch.no_grad():
        plain_labels = [p.pred_label.item() for p in plain.predict(inputs)]
    assert plain_labels == [p.pred_label.item() for p in preds]


# ------------------------------------------------------------ end to end
@pytest.mark.slow
def test_train_and_test_tools_run_scn_and_log_relabels(tiny_msde, tmp_path):
    from e2e_helpers import REPO, run_tool, scalars, write_tiny_config
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS
    tiny = write_tiny_config(tmp_path / 'tiny.py', tiny_msde,
                             base=REPO / SYNTHETIC_CONFIG, max_epochs=1)
    config = tmp_path / 'tiny_relabel.py'
    # relabel in the first epoch, every mispredicted sample of the batch
    config.write_text(f"""_base_ = '{tiny}'
model = dict(head=dict(relabel_margin=0.0, relabel_scope='all'))
custom_hooks = [dict(type='SCNRelabelHook', start_epoch=1)]
""")
    work_dir = tmp_path / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir)
    train = [r for r in scalars(work_dir) if 'loss_rank' in r]
    assert train and all('relabel_count' in r for r in train)

    changes = [json.loads(line) for line in
               (work_dir / 'scn_relabels.jsonl').read_text().splitlines()]
    assert changes, 'a random network mispredicts most samples'
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(Config.fromfile(str(config)).train_dataloader
                             .dataset)
    for change in changes:  # first epoch: old labels are the dataset's
        info = dataset.get_data_info(change['sample_idx'])
        assert (change['old'], change['img_path']) == (info['gt_label'],
                                                       info['img_path'])
        assert change['epoch'] == 1 and change['new'] != change['old']
        assert change['masked'] is False  # views='non_masked'
    ckpt = torch.load(work_dir / 'epoch_1.pth', map_location='cpu',
                      weights_only=False)
    state = ckpt['message_hub']['runtime_info'][STATE_KEY]
    assert state['labels'] == {c['sample_idx']: c['new'] for c in changes}

    proc = run_tool('python', 'tools/test.py', config,
                    work_dir / 'epoch_1.pth', '--work-dir', tmp_path / 'test')
    out = proc.stdout + proc.stderr
    for key in ('non_masked/accuracy', 'masked/accuracy',
                'overall/accuracy'):
        assert re.search(rf'{key}: [\d.]+', out), out[-2000:]
    assert math.isfinite(train[-1]['loss'])
