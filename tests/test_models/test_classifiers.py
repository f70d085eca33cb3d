"""PairedClassifier and SupConClassifier: losses against independent
computations, ImageClassifier-identical prediction and checkpoints; the
paired data preprocessor."""
import copy
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.optim import OptimWrapper
from mmpretrain.models import ClsDataPreprocessor, ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmsde.models  # noqa: F401
from mmsde.engine import LossWarmupHook
from mmsde.models import PairedClsDataPreprocessor, SupConLoss

SIZE = 64  # layer4 maps of 2x2
PREPROCESSOR = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12,
                                                         57.375],
                    to_rgb=True, num_classes=7)


def model_cfg(type_, cls_weight=1.0, **kwargs):
    return dict(
        type=type_,
        backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=7, in_channels=512,
                  loss=dict(type='CrossEntropyLoss', loss_weight=cls_weight)),
        data_preprocessor=dict(PREPROCESSOR),
        **kwargs)


# the shipped projection head
PROJECTOR = Config.fromfile(
    'configs/_base_/models/resnet18_supcon.py').model.projector.to_dict()


def supcon_cfg(stage='joint', **kwargs):
    return model_cfg(
        'SupConClassifier', projector=PROJECTOR, stage=stage,
        contrast_loss=dict(type='SupConLoss', temperature=0.1,
                           loss_weight=0.5), **kwargs)


def samples(labels):
    return [DataSample().set_gt_label(int(k)) for k in labels]


@pytest.fixture
def pair_batch():
    torch.manual_seed(0)
    nm, m = torch.randn(4, 3, SIZE, SIZE), torch.randn(4, 3, SIZE, SIZE)
    labels = torch.tensor([0, 3, 3, 5])
    return nm, m, labels


def test_paired_loss_is_alpha_mse_plus_beta_ce(pair_batch):
    nm, m, labels = pair_batch
    model = MODELS.build(
        model_cfg('PairedClassifier', cls_weight=2.0,
                  paired_loss=dict(type='PairedFeatureLoss',
                                   loss_weight=0.5)))
    model.train()
    losses = model.loss([nm, m], samples(labels))
    assert set(losses) == {
        'loss_cls_non_masked', 'loss_cls_masked', 'loss_paired'
    }

    maps = model.backbone(torch.cat([nm, m]))[-1]
    map_nm, map_m = maps[:4], maps[4:]
    mse = F.mse_loss(F.normalize(map_nm, dim=1), F.normalize(map_m, dim=1))
    logits = model.head.fc(maps.mean(dim=(2, 3)))
    ce_nm = F.cross_entropy(logits[:4], labels)
    ce_m = F.cross_entropy(logits[4:], labels)
    torch.testing.assert_close(losses['loss_paired'], 0.5 * mse)
    torch.testing.assert_close(losses['loss_cls_non_masked'], 2.0 * ce_nm)
    torch.testing.assert_close(losses['loss_cls_masked'], 2.0 * ce_m)


@pytest.mark.parametrize('paradigm,scale', [
    (model_cfg('PairedClassifier', paired_loss=dict(
        type='PairedFeatureLoss', loss_weight=0.0)), 2.0),
    (model_cfg('SupConClassifier', projector=PROJECTOR, stage='joint',
               contrast_loss=dict(type='SupConLoss', loss_weight=0.0)), 1.0),
])
def test_paradigm_without_its_term_steps_like_both_training(
        paradigm, scale, pair_batch):
    """The sanity ablation at the level of one step: with its extra loss
    weighted 0, a paradigm's gradient on a pair batch is that of an
    ImageClassifier on the same 2B images (paired: the sum of two CE means,
    so twice the mean over 2B)."""
    nm, m, labels = pair_batch
    model = MODELS.build(paradigm).train()
    plain = MODELS.build(model_cfg('ImageClassifier')).train()
    plain.load_state_dict(model.state_dict(), strict=False)
    sum(model.loss([nm, m], samples(labels)).values()).backward()
    sum(plain.loss(torch.cat([nm, m]),
                   samples(labels.repeat(2))).values()).backward()
    for name, param in plain.named_parameters():
        theirs = dict(model.named_parameters())[name].grad
        torch.testing.assert_close(theirs, scale * param.grad, rtol=1e-4,
                                   atol=1e-6, msg=name)


def test_paired_classifier_needs_two_views(pair_batch):
    nm, _, labels = pair_batch
    model = MODELS.build(model_cfg('PairedClassifier'))
    with pytest.raises(ValueError, match="views='paired'"):
        model.loss(nm, samples(labels))


def assert_same_predictions(model, plain, images):
    model.eval(), plain.eval()
    with torch.no_grad():
        ours = model.predict(images)
        theirs = plain.predict(images)
        torch.testing.assert_close(model(images), plain(images))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.pred_score, b.pred_score)
        assert a.pred_label == b.pred_label


@pytest.mark.parametrize('cfg,extra', [
    (model_cfg('PairedClassifier'), ''),
    (supcon_cfg('joint'), 'projector.'),
    (supcon_cfg('pretrain'), 'projector.'),
])
def test_checkpoint_loads_into_image_classifier(cfg, extra, pair_batch):
    nm, m, labels = pair_batch
    model = MODELS.build(cfg)
    # one training step, so that weights and BN statistics are not the init
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    data = pseudo_collate([
        dict(inputs=[a, b], data_samples=s)
        for a, b, s in zip(nm, m, samples(labels))
    ])
    model.train_step(data, optim)

    plain = ImageClassifier(**{
        k: v
        for k, v in model_cfg('ImageClassifier').items() if k != 'type'
    })
    result = plain.load_state_dict(model.state_dict(), strict=False)
    assert result.missing_keys == []
    if extra:
        assert result.unexpected_keys
        assert all(k.startswith(extra) for k in result.unexpected_keys)
    else:
        assert result.unexpected_keys == []
    assert_same_predictions(model, plain, torch.randn(3, 3, SIZE, SIZE))


def test_train_step_and_val_step(pair_batch):
    nm, m, labels = pair_batch
    model = MODELS.build(model_cfg('PairedClassifier'))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    data = pseudo_collate([
        dict(inputs=[(a * 50 + 128).to(torch.uint8),
                     (b * 50 + 128).to(torch.uint8)],
             data_samples=s) for a, b, s in zip(nm, m, samples(labels))
    ])
    log_vars = model.train_step(data, optim)
    assert {'loss', 'loss_cls_non_masked', 'loss_cls_masked',
            'loss_paired'} <= set(log_vars)
    preds = model.val_step(dict(inputs=list(nm), data_samples=samples(
        labels)))
    assert len(preds) == 4 and preds[0].pred_score.shape == (7, )


@pytest.mark.parametrize('stage', ['joint', 'pretrain'])
def test_supcon_losses_per_stage(stage, pair_batch):
    nm, m, labels = pair_batch
    model = MODELS.build(supcon_cfg(stage))
    model.train()
    losses = model.loss([nm, m], samples(labels))
    expected_keys = {'loss_supcon', 'loss_cls'} if stage == 'joint' else {
        'loss_supcon'
    }
    assert set(losses) == expected_keys

    feats = model.neck(model.backbone(torch.cat([nm, m])))
    z = model.projector(feats)[0]
    z = torch.stack([z[:4], z[4:]], dim=1)
    supcon = SupConLoss(temperature=0.1, loss_weight=0.5)(z, labels)
    torch.testing.assert_close(losses['loss_supcon'], supcon)
    if stage == 'joint':
        ce = F.cross_entropy(model.head.fc(feats[0]), labels.repeat(2))
        torch.testing.assert_close(losses['loss_cls'], ce)

    sum(losses.values()).backward()
    head_grad = model.head.fc.weight.grad
    assert (head_grad is None) == (stage == 'pretrain')
    assert model.backbone.conv1.weight.grad is not None
    assert model.projector.fc0.weight.grad is not None


def test_warmup_hook_ramps_the_supcon_term(pair_batch):
    nm, m, labels = pair_batch
    model = MODELS.build(supcon_cfg()).train()
    full = model.loss([nm, m], samples(labels))
    hook = LossWarmupHook('contrast_scale', warmup_iters=4, begin_iter=10)
    for iteration, scale in ((0, 0.), (9, 0.), (10, 0.25), (11, 0.5),
                             (13, 1.), (50, 1.)):
        hook.before_train_iter(SimpleNamespace(model=model,
                                               iter=iteration), 0)
        assert model.contrast_scale == scale
        losses = model.loss([nm, m], samples(labels))
        torch.testing.assert_close(losses['loss_supcon'],
                                   scale * full['loss_supcon'])
        torch.testing.assert_close(losses['loss_cls'], full['loss_cls'])
    with pytest.raises(ValueError, match='begin_iter must be an integer '
                       '>= 0, got -1'):
        LossWarmupHook('contrast_scale', 4, begin_iter=-1)


def test_supcon_stage_is_checked():
    with pytest.raises(ValueError, match="stage must be one of"):
        MODELS.build(supcon_cfg('finetune'))


# --- data preprocessor ---------------------------------------------------


def uint8_images(n, seed):
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randint(0, 256, (3, 8, 8), generator=generator,
                      dtype=torch.uint8) for _ in range(n)
    ]


def stock(data, training=False):
    return ClsDataPreprocessor(**PREPROCESSOR)(copy.deepcopy(data), training)


@pytest.fixture
def preprocessor():
    return PairedClsDataPreprocessor(**PREPROCESSOR)


def test_preprocessor_single_images_like_cls_preprocessor(preprocessor):
    images = uint8_images(3, 0)
    for inputs in (images, torch.stack(images)):  # pseudo / default collate
        data = dict(inputs=inputs, data_samples=samples([1, 2, 3]))
        ours = preprocessor(copy.deepcopy(data), True)
        theirs = stock(data, True)
        assert isinstance(ours['inputs'], torch.Tensor)
        torch.testing.assert_close(ours['inputs'], theirs['inputs'])
        assert [s.gt_label.item() for s in ours['data_samples']] == [1, 2, 3]


def test_preprocessor_pairs_give_one_batch_per_view(preprocessor):
    nm, m = uint8_images(3, 1), uint8_images(3, 2)
    labels = [4, 0, 6]
    for collate in (pseudo_collate, default_collate):
        batch = collate([
            dict(inputs=[a, b], data_samples=s)
            for a, b, s in zip(nm, m, samples(labels))
        ])
        out = preprocessor(batch, True)
        assert isinstance(out['inputs'], list) and len(out['inputs']) == 2
        for view, images in zip(out['inputs'], (nm, m)):
            expected = stock(dict(inputs=images, data_samples=None))
            torch.testing.assert_close(view, expected['inputs'])
        assert [s.gt_label.item() for s in out['data_samples']] == labels


def test_preprocessor_refuses_batch_augments_on_pairs():
    preprocessor = PairedClsDataPreprocessor(
        **PREPROCESSOR,
        batch_augments=dict(augments=dict(type='Mixup', alpha=0.2)))
    pairs = pseudo_collate([
        dict(inputs=[a, b], data_samples=s) for a, b, s in zip(
            uint8_images(2, 3), uint8_images(2, 4), samples([0, 1]))
    ])
    with pytest.raises(ValueError, match='batch_augments'):
        preprocessor(copy.deepcopy(pairs), True)
    out = preprocessor(pairs, False)
    assert len(out['inputs']) == 2


def test_classifiers_default_to_paired_preprocessor():
    cfg = model_cfg('PairedClassifier')
    cfg.pop('data_preprocessor')
    assert isinstance(MODELS.build(cfg).data_preprocessor,
                      PairedClsDataPreprocessor)
    assert isinstance(MODELS.build(supcon_cfg()).data_preprocessor,
                      PairedClsDataPreprocessor)


def test_the_shipped_projector_cannot_collapse():
    """Its output is batch-normalised without affine parameters, so in
    training every dimension has zero mean and unit variance over the batch
    whatever the weights: it cannot map all faces to one point, where
    SupCon sits at ln(2N - 1) with a zero gradient (up to batch norm's
    epsilon)
    (``test_collapsed_embeddings_sit_at_the_uniform_value_without_gradient``).
    """
    torch.manual_seed(0)
    projector = MODELS.build(PROJECTOR).train()
    assert not [name for name, _ in projector.named_parameters()
                if name.startswith(('bn1', 'fc1.bias'))]  # nothing after
    out = projector((torch.randn(64, 512).relu() + 5., ))[-1]
    torch.testing.assert_close(out.mean(0), torch.zeros(128), atol=1e-5,
                               rtol=0)
    torch.testing.assert_close(out.var(0, unbiased=False), torch.ones(128),
                               atol=1e-2, rtol=0)
    loss = SupConLoss(temperature=0.1, base_temperature=0.1)(
        out.view(32, 2, 128), torch.arange(32) % 4)
    assert loss.item() > math.log(63) + 0.5


def test_supcon_reaches_its_floor_on_a_fixed_batch():
    """Plumbing: optimised on one batch, SupCon falls from its uniform value
    ln(2N - 1) to near its lower bound, the mean over anchors of
    ln |P(i)| (Jensen; T = T_base), which no bug-free model can pass."""
    torch.manual_seed(0)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    nm, m = torch.randn(8, 3, 32, 32), torch.randn(8, 3, 32, 32)
    model = MODELS.build(
        model_cfg('SupConClassifier', projector=PROJECTOR, stage='pretrain',
                  contrast_loss=dict(type='SupConLoss', temperature=0.1,
                                     base_temperature=0.1)))
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    positives = 2 * torch.bincount(labels)[labels] - 1  # twin + same label
    floor = torch.log(positives.double()).mean().item()
    uniform = math.log(2 * len(labels) - 1)
    model.train()
    for _ in range(8):
        loss = model.loss([nm, m], samples(labels))['loss_supcon']
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert floor - 1e-4 <= loss.item() < floor + 0.1 * (uniform - floor)
