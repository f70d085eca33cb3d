"""MaskedFERDistiller and the distillation losses: independent computations
of the losses, a frozen teacher, student checkpoints that are plain
ImageClassifier checkpoints, the masked-input probability, strict teacher
loading and the teacher cache."""
import copy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import get_state_dict, load_state_dict
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample

import mmsde  # noqa: F401
from mmsde.engine import DistillWarmupHook, TeacherCacheHook
from mmsde.models.converters import CheckpointMismatchError

SIZE = 32  # layer4 maps of 1x1
PREPROCESSOR = dict(mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375], to_rgb=True, num_classes=7)


def classifier_cfg(num_classes=7, depth=18):
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=depth, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=512 if depth < 50 else 2048))


def distiller_cfg(teacher_ckpt, **kwargs):
    student = classifier_cfg()
    student.pop('type')
    return dict(type='MaskedFERDistiller', teacher_cfg=classifier_cfg(),
                teacher_ckpt=str(teacher_ckpt) if teacher_ckpt else None,
                data_preprocessor=dict(PREPROCESSOR), **student, **kwargs)


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory) -> Path:
    """A trained-looking teacher: random weights, non-trivial BN stats."""
    init_default_scope('mmpretrain')
    torch.manual_seed(1)
    teacher = MODELS.build(classifier_cfg())
    teacher.train()
    with torch.no_grad():
        teacher(torch.randn(8, 3, SIZE, SIZE) * 2 + 1)
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save(dict(state_dict=teacher.state_dict(), meta={}), path)
    return path


def build(teacher_ckpt, **kwargs):
    init_default_scope('mmpretrain')
    model = MODELS.build(distiller_cfg(teacher_ckpt, **kwargs))
    model.init_weights()
    return model


def samples(labels, pair_ids=None):
    pair_ids = pair_ids or [f'p{i}' for i in range(len(labels))]
    return [
        DataSample(metainfo=dict(pair_id=pid)).set_gt_label(int(k))
        for k, pid in zip(labels, pair_ids)
    ]


def pair_batch(n=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    nm = torch.randn(n, 3, SIZE, SIZE, generator=generator)
    m = torch.randn(n, 3, SIZE, SIZE, generator=generator)
    return nm, m, torch.arange(n) % 7


# --- losses ----------------------------------------------------------------


def test_logit_loss_equals_independent_kl():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(5, 7)) * 3, rng.normal(size=(5, 7)) * 3
    tau = 2.5

    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    p_s, p_t = softmax(s / tau), softmax(t / tau)
    expected = tau**2 * np.sum(p_t * (np.log(p_t) - np.log(p_s))) / 5
    loss = MODELS.build(dict(type='LogitDistillLoss', tau=tau,
                             loss_weight=0.3))
    value = loss(torch.tensor(s, dtype=torch.float32),
                 torch.tensor(t, dtype=torch.float32))
    assert value.item() == pytest.approx(0.3 * expected, rel=1e-5)
    same = loss(torch.tensor(s), torch.tensor(s))
    assert same.item() == pytest.approx(0, abs=1e-12)


def test_logit_loss_checks_inputs():
    with pytest.raises(ValueError, match='tau must be > 0'):
        MODELS.build(dict(type='LogitDistillLoss', tau=0))
    loss = MODELS.build(dict(type='LogitDistillLoss'))
    with pytest.raises(ValueError, match=r'student \(2, 7\), teacher'):
        loss(torch.randn(2, 7), torch.randn(2, 6))


def test_feature_loss_is_lambda_normalised_mse_without_teacher_grad():
    torch.manual_seed(0)
    student = torch.randn(2, 8, 3, 3, requires_grad=True)
    teacher = torch.randn(2, 8, 3, 3, requires_grad=True)
    loss = MODELS.build(dict(type='FeatureDistillLoss'))  # lambda = 100
    value = loss(student, teacher)
    ns = student / student.norm(dim=1, keepdim=True)
    nt = teacher / teacher.norm(dim=1, keepdim=True)
    expected = 100 * ((ns - nt)**2).mean()
    torch.testing.assert_close(value, expected)
    value.backward()
    assert student.grad is not None and teacher.grad is None


# --- the frozen teacher ----------------------------------------------------


def test_teacher_and_its_bn_stats_unchanged_by_training(teacher_ckpt):
    model = build(teacher_ckpt, logit_loss=dict(type='LogitDistillLoss'))
    before = copy.deepcopy(model.teacher.state_dict())
    assert any('running_mean' in k for k in before)
    student_before = copy.deepcopy(model.backbone.state_dict())
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=0.01))
    model.train()
    assert not model.teacher.training
    assert all(not m.training for m in model.teacher.modules())
    for step in range(3):
        nm, m, labels = pair_batch(seed=step)
        data = pseudo_collate([
            dict(inputs=[a, b], data_samples=s)
            for a, b, s in zip(nm, m, samples(labels))
        ])
        log_vars = model.train_step(data, optim)
    assert {'loss_cls', 'loss_kd_feature', 'loss_kd_logit'} <= set(log_vars)
    after = model.teacher.state_dict()
    for key, value in before.items():
        assert torch.equal(value, after[key]), f'teacher {key} changed'
    assert all(not p.requires_grad for p in model.teacher.parameters())
    changed = [not torch.equal(v, model.backbone.state_dict()[k])
               for k, v in student_before.items()]
    assert any(changed), 'the student must learn'


def test_teacher_is_loaded_exactly(teacher_ckpt):
    model = build(teacher_ckpt)
    saved = torch.load(teacher_ckpt, weights_only=False)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[key])


def test_student_checkpoint_is_a_plain_image_classifier(teacher_ckpt):
    model = build(teacher_ckpt)
    nm, m, labels = pair_batch()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    model.train_step(
        pseudo_collate([
            dict(inputs=[a, b], data_samples=s)
            for a, b, s in zip(nm, m, samples(labels))
        ]), optim)
    state = model.state_dict()
    assert not any(k.startswith('teacher') for k in state)
    plain = MODELS.build(dict(classifier_cfg(),
                              data_preprocessor=dict(PREPROCESSOR)))
    plain.load_state_dict(state, strict=True)
    model.eval(), plain.eval()
    images = torch.randn(3, 3, SIZE, SIZE)
    with torch.no_grad():
        ours, theirs = model.predict(images), plain.predict(images)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.pred_score, b.pred_score)
        assert a.pred_label == b.pred_label


@pytest.mark.parametrize('prob', [0.0, 1.0, 0.5])
def test_student_sees_masked_images_with_probability_p(prob, teacher_ckpt):
    torch.manual_seed(0)
    model = build(teacher_ckpt, masked_prob=prob)
    seen, teacher_seen = [], []
    model.backbone.register_forward_pre_hook(
        lambda mod, args: seen.append(args[0].clone()))
    model.teacher.backbone.register_forward_pre_hook(
        lambda mod, args: teacher_seen.append(args[0].clone()))
    nm, m, labels = pair_batch(n=64)
    model.train()
    model.loss([nm, m], samples(labels))
    (student_in, ), (teacher_in, ) = seen, teacher_seen
    torch.testing.assert_close(teacher_in, nm)
    is_masked = (student_in == m).flatten(1).all(1)
    is_non_masked = (student_in == nm).flatten(1).all(1)
    assert bool((is_masked ^ is_non_masked).all())
    if prob in (0.0, 1.0):
        assert bool(is_masked.all() if prob else is_non_masked.all())
    else:
        assert 16 < int(is_masked.sum()) < 48


def test_warmup_hook_scales_the_distillation_losses(teacher_ckpt):
    nm, m, labels = pair_batch()
    results = {}
    for warmup in (None, 10):
        torch.manual_seed(2)  # the same student
        model = build(teacher_ckpt, logit_loss=dict(type='LogitDistillLoss'))
        if warmup:
            runner = SimpleNamespace(model=model, iter=4)
            DistillWarmupHook(warmup).before_train_iter(runner, 0)
            assert model.distill_scale == 0.5  # (4 + 1) / 10
        torch.manual_seed(3)
        results[warmup] = model.loss([nm, m], samples(labels))
    for key in ('loss_kd_feature', 'loss_kd_logit'):
        torch.testing.assert_close(results[10][key],
                                   0.5 * results[None][key])
    torch.testing.assert_close(results[10]['loss_cls'],
                               results[None]['loss_cls'])
    runner = SimpleNamespace(model=model, iter=40)
    DistillWarmupHook(10).before_train_iter(runner, 0)
    assert model.distill_scale == 1.0


def test_warmup_hook_errors():
    with pytest.raises(ValueError, match=r'warmup_iters must be an integer '
                       r'>= 1, got 0'):
        DistillWarmupHook(0)
    runner = SimpleNamespace(model=torch.nn.Linear(1, 1), iter=0)
    with pytest.raises(TypeError, match='needs a model with distill_scale, '
                       'got Linear'):
        DistillWarmupHook(5).before_train_iter(runner, 0)


def test_teacher_is_an_ordinary_frozen_submodule(teacher_ckpt):
    model = build(teacher_ckpt)
    assert any(m is model.teacher for m in model.modules())
    visited = []
    model.apply(visited.append)
    assert model.teacher.backbone.conv1 in visited
    converted = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted.teacher.backbone.bn1, torch.nn.SyncBatchNorm)
    assert not converted.teacher.training
    assert all(not p.requires_grad for p in converted.teacher.parameters())
    # the student still saves as a plain ImageClassifier, strictly
    state = get_state_dict(converted)
    assert state and not any(k.startswith('teacher.') for k in state)
    plain = MODELS.build(dict(classifier_cfg(),
                              data_preprocessor=dict(PREPROCESSOR)))
    plain.load_state_dict(state, strict=True)
    # and loads back into a distiller without teacher keys, strictly
    again = build(teacher_ckpt)
    load_state_dict(again, state, strict=True)
    again.load_state_dict(state, strict=True)
    for key, value in again.teacher.state_dict().items():
        torch.testing.assert_close(value,
                                   model.teacher.state_dict()[key])


def test_teacher_init_cfg_is_never_applied(teacher_ckpt, tmp_path):
    teacher = classifier_cfg()
    teacher['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=str(tmp_path / 'absent.pth'))
    init_default_scope('mmpretrain')
    student = classifier_cfg()
    student.pop('type')
    model = MODELS.build(dict(type='MaskedFERDistiller', teacher_cfg=teacher,
                              teacher_ckpt=str(teacher_ckpt), **student))
    model.init_weights()  # would raise if the teacher's init_cfg ran
    saved = torch.load(teacher_ckpt, weights_only=False)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[key])


def test_bad_teacher_checkpoints_are_named(teacher_ckpt, tmp_path):
    init_default_scope('mmpretrain')
    five = MODELS.build(classifier_cfg(num_classes=5)).state_dict()
    five['projector.fc0.weight'] = torch.zeros(1)
    del five['backbone.conv1.weight']
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict=five), bad)
    model = MODELS.build(distiller_cfg(bad))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    text = str(err.value)
    assert str(bad) in text
    assert "missing keys (1): ['backbone.conv1.weight']" in text
    assert "unexpected keys (1): ['projector.fc0.weight']" in text
    assert 'head.fc.weight: checkpoint (5, 512) vs model (7, 512)' in text


def test_teacher_checkpoint_glob_must_match_one_file(teacher_ckpt, tmp_path):
    for name in ('best_epoch_1.pth', 'best_epoch_2.pth'):
        (tmp_path / name).write_bytes(teacher_ckpt.read_bytes())
    model = MODELS.build(distiller_cfg(tmp_path / 'best_*.pth'))
    with pytest.raises(FileNotFoundError, match='several files match'):
        model.init_weights()
    model = MODELS.build(distiller_cfg(tmp_path / 'nothing_*.pth'))
    with pytest.raises(FileNotFoundError, match='no file matches'):
        model.init_weights()
    (tmp_path / 'best_epoch_1.pth').unlink()
    model = build(tmp_path / 'best_*.pth')
    assert model._teacher_loaded


def test_training_without_teacher_checkpoint_is_refused():
    model = build(None)
    nm, m, labels = pair_batch()
    with pytest.raises(RuntimeError, match='set teacher_ckpt'):
        model.loss([nm, m], samples(labels))


def test_teacher_from_config_file():
    repo = Path(__file__).resolve().parents[2]
    cfg = Config.fromfile(
        str(repo / 'configs/distillation/'
            'featkd_resnet18_1xb32-adam-24e_synthetic-msde.py'))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    assert isinstance(model.teacher, ImageClassifier)
    assert type(model.teacher) is ImageClassifier
    assert model.teacher.head.num_classes == 7


# --- teacher cache -----------------------------------------------------------

PAIRED_PIPELINE = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform',
         transforms=[dict(type='Resize', scale=(SIZE, SIZE))]),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(SIZE, SIZE)),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]


def fake_runner(model, data_root, work_dir):
    dataset = dict(type='MSDE', data_root=str(data_root), fold=0, num_folds=5,
                   split='train', views='paired', pipeline=PAIRED_PIPELINE)
    cfg = Config(dict(
        train_dataloader=dict(dataset=dataset),
        test_dataloader=dict(dataset=dict(dataset, pipeline=TEST_PIPELINE))))
    return SimpleNamespace(model=model, cfg=cfg, work_dir=str(work_dir),
                           logger=MMLogger.get_current_instance())


def test_cached_and_online_teacher_agree(teacher_ckpt, tiny_msde, tmp_path):
    """On un-augmented pairs, the losses with the cache equal the losses
    with the online teacher."""
    model = build(teacher_ckpt, logit_loss=dict(type='LogitDistillLoss'))
    runner = fake_runner(model, tiny_msde, tmp_path)
    TeacherCacheHook(batch_size=16).before_train(runner)
    assert model.teacher_cache is not None
    dataset = DATASETS.build(runner.cfg.train_dataloader.dataset)
    assert set(model.teacher_cache) == {
        dataset.get_data_info(i)['pair_id'] for i in range(len(dataset))
    }
    batch = pseudo_collate([dataset[i] for i in range(6)])
    data = model.data_preprocessor(batch, True)
    model.train()
    losses = {}
    for mode, cache in (('cached', model.teacher_cache), ('online', None)):
        model.set_teacher_cache(cache)
        torch.manual_seed(7)
        losses[mode] = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_cls', 'loss_kd_feature', 'loss_kd_logit'):
        torch.testing.assert_close(losses['cached'][key],
                                   losses['online'][key])


def test_cache_is_reused_and_invalidated(teacher_ckpt, tiny_msde, tmp_path):
    ckpt = tmp_path / 'teacher.pth'
    ckpt.write_bytes(teacher_ckpt.read_bytes())
    model = build(ckpt)
    runner = fake_runner(model, tiny_msde, tmp_path / 'work')
    hook = TeacherCacheHook(batch_size=32)
    hook.before_train(runner)
    files = list((tmp_path / 'work/teacher_cache').glob('teacher_*.pth'))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    hook.before_train(runner)  # same settings: the file is reused
    assert files[0].stat().st_mtime_ns == stamp

    state = torch.load(ckpt, weights_only=False)
    state['state_dict']['head.fc.bias'] += 1
    torch.save(state, ckpt)
    model = build(ckpt)
    runner.model = model
    hook.before_train(runner)  # another checkpoint: a new cache
    files = sorted((tmp_path / 'work/teacher_cache').glob('teacher_*.pth'))
    assert len(files) == 2
    data = pseudo_collate([
        DATASETS.build(dict(runner.cfg.test_dataloader.dataset,
                            views='non_masked'))[0]
    ])
    data = model.data_preprocessor(data, False)
    online = model.teacher_outputs(data['inputs'])['logits'][0]
    pair_id = data['data_samples'][0].pair_id
    torch.testing.assert_close(model.teacher_cache[pair_id]['logits'],
                               online)


def test_cached_feature_is_mirrored_for_flipped_samples(teacher_ckpt):
    model = build(teacher_ckpt)
    feature = torch.arange(12.).view(3, 2, 2)
    model.set_teacher_cache(
        {'a': dict(feature=feature, logits=torch.zeros(7))})
    flipped = DataSample(metainfo=dict(pair_id='a', flip=True,
                                       flip_direction='horizontal'))
    plain = DataSample(metainfo=dict(pair_id='a', flip=False))
    out = model._cached_outputs([flipped, plain], torch.device('cpu'))
    torch.testing.assert_close(out['feature'][0], feature.flip(-1))
    torch.testing.assert_close(out['feature'][1], feature)
    with pytest.raises(KeyError, match="pair_id 'b'"):
        model._cached_outputs([DataSample(metainfo=dict(pair_id='b'))],
                              torch.device('cpu'))
