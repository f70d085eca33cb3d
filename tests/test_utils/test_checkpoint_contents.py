"""What legitimate MMEngine / MMPretrain / MMDetection checkpoints hold loads
through mmsde's safe loader (directly and through MMEngine's
``load_checkpoint``, which importing mmsde routes), equal to what was saved;
code in the same checkpoint stays refused.

Each kind is saved at pickle protocol 2 and at ``torch.save``'s default (2
today too; protocols 3-5 use opcodes that torch's safe unpickler does not
read, whatever the allow-list)."""
import functools
import io
import pickle
import pickletools
import uuid
from collections import Counter

import numpy as np
import pytest
import torch
from checkpoint_helpers import WritesMarker
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel, ExponentialMovingAverage
from mmengine.optim import (CosineAnnealingLR, LinearLR, MultiStepLR,
                            OptimWrapper)
from mmengine.optim.optimizer import amp_optimizer_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_checkpoint
from torch.utils.data import DataLoader, Dataset

import mmsde  # noqa: F401  (routes MMEngine's loader through mmsde)
from mmsde.utils import UnsafeCheckpointError
from mmsde.utils.checkpoint import NUMPY_DTYPES, load_checkpoint_file

PROTOCOLS = [pytest.param(2, id='protocol2'),
             pytest.param(None, id='torch-default')]


def assert_same(loaded, saved, where='checkpoint'):
    """Deep equality that also checks types (numpy scalar types, dtypes,
    memory order, tuple vs list, Counter vs dict)."""
    assert type(loaded) is type(saved), where
    if isinstance(saved, torch.Tensor):
        assert loaded.dtype == saved.dtype, where
        assert torch.equal(loaded, saved), where
    elif isinstance(saved, np.ndarray):
        assert loaded.dtype == saved.dtype, where
        assert loaded.shape == saved.shape, where
        assert loaded.flags.f_contiguous == saved.flags.f_contiguous, where
        assert np.array_equal(loaded, saved), where
    elif isinstance(saved, HistoryBuffer):
        assert loaded.max_length == saved.max_length, where
        for got, want in zip(loaded.data, saved.data):
            assert_same(got, want, where)
    elif isinstance(saved, dict):
        assert list(loaded) == list(saved), where
        for key in saved:
            assert_same(loaded[key], saved[key], f'{where}[{key!r}]')
    elif isinstance(saved, (list, tuple)):
        assert len(loaded) == len(saved), where
        for k, (got, want) in enumerate(zip(loaded, saved)):
            assert_same(got, want, f'{where}[{k}]')
    else:
        assert loaded == saved, where


def round_trip(content, tmp_path, protocol):
    """Save ``content`` with a model's weights; load it with
    :func:`load_checkpoint_file` and with MMEngine's ``load_checkpoint``
    (which must put the weights into a fresh model); check both equal it.

    Returns:
        dict: The checkpoint as :func:`load_checkpoint_file` loaded it.
    """
    model = torch.nn.Linear(3, 2)
    saved = dict(state_dict=model.state_dict(), **content)
    path = tmp_path / f'ckpt_{uuid.uuid4().hex[:8]}.pth'
    kwargs = {} if protocol is None else dict(pickle_protocol=protocol)
    torch.save(saved, path, **kwargs)
    direct = load_checkpoint_file(str(path), map_location='cpu')
    fresh = torch.nn.Linear(3, 2)
    via_mmengine = load_checkpoint(fresh, str(path), map_location='cpu',
                                   strict=True)
    assert torch.equal(fresh.weight, model.weight)
    assert_same(direct, saved)
    assert_same(via_mmengine, saved)
    return direct


def empty_bytes_global_in(obj) -> bool:
    """Whether protocol 2 pickles ``obj`` with a call of ``bytes``."""
    data = pickle.dumps(obj, protocol=2)
    return any(op.name == 'GLOBAL' and arg == '__builtin__ bytes'
               for op, arg, _ in pickletools.genops(io.BytesIO(data)))


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_empty_history_buffer(tmp_path, protocol):
    """The known bug: an empty buffer's array data pickles as bytes()."""
    empty, filled = HistoryBuffer(), HistoryBuffer([1.0, 3.0], [1, 1])
    assert empty_bytes_global_in(empty)
    assert not empty_bytes_global_in(filled)  # non-empty: _codecs.encode
    hub = dict(log_scalars=dict(empty=empty, loss=filled))
    ckpt = round_trip(dict(message_hub=hub), tmp_path, protocol)
    loaded = ckpt['message_hub']['log_scalars']
    assert loaded['empty'].data[0].size == 0 and loaded['loss'].mean() == 2.0
    loaded['empty'].update(5.0)  # a working buffer
    assert loaded['empty'].current() == 5.0


class CallsBytes:
    """``bytes`` called with an argument, which pickle never writes."""

    def __init__(self, *args):
        self.args = args

    def __reduce__(self):
        return (bytes, self.args)


@pytest.mark.parametrize('args', [(10**12, ), ([104, 105], ),
                                  ('hi', 'ascii')],
                         ids=['allocate', 'iterate', 'encode'])
def test_bytes_takes_no_argument(tmp_path, args):
    path = tmp_path / 'bytes.pth'
    torch.save(dict(x=CallsBytes(*args)), path)
    with pytest.raises(UnsafeCheckpointError, match=r'bytes\(\)'):
        load_checkpoint_file(str(path))


def make_optimizer(name, params):
    return dict(
        Adam=lambda: torch.optim.Adam(params, lr=0.1),
        AdamW=lambda: torch.optim.AdamW(params, lr=0.1, weight_decay=0.05),
        SGD=lambda: torch.optim.SGD(params, lr=0.1, momentum=0.9,
                                    nesterov=True, weight_decay=1e-4),
    )[name]()


@pytest.mark.parametrize('protocol', PROTOCOLS)
@pytest.mark.parametrize('name', ['Adam', 'AdamW', 'SGD'])
def test_optimizer_state(tmp_path, name, protocol):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    wrapper = OptimWrapper(make_optimizer(name, model.parameters()))
    batch = torch.randn(4, 3)
    for _ in range(2):
        wrapper.update_params(model(batch).square().sum())
    ckpt = round_trip(dict(optimizer=wrapper.state_dict()), tmp_path,
                      protocol)
    # the loaded state resumes training exactly like the saved one
    twin = torch.nn.Linear(3, 2)
    twin.load_state_dict(model.state_dict())
    resumed = OptimWrapper(make_optimizer(name, twin.parameters()))
    resumed.load_state_dict(ckpt['optimizer'])
    wrapper.update_params(model(batch).square().sum())
    resumed.update_params(twin(batch).square().sum())
    assert torch.equal(twin.weight, model.weight)


@pytest.mark.parametrize('protocol', PROTOCOLS)
@pytest.mark.parametrize('scheduler', [
    functools.partial(CosineAnnealingLR, T_max=4, eta_min=1e-4),
    functools.partial(LinearLR, start_factor=0.1, end=3),
    functools.partial(MultiStepLR, milestones=[1, 2, 2], gamma=0.5),
], ids=['CosineAnnealingLR', 'LinearLR', 'MultiStepLR'])
def test_param_scheduler_state(tmp_path, scheduler, protocol):
    optimizer = torch.optim.SGD(torch.nn.Linear(3, 2).parameters(), lr=0.1)
    sched = scheduler(optimizer)
    for _ in range(2):
        optimizer.step()
        sched.step()
    state = sched.state_dict()
    ckpt = round_trip(dict(param_schedulers=[state]), tmp_path, protocol)
    if isinstance(sched, MultiStepLR):  # milestones are a Counter
        assert ckpt['param_schedulers'][0]['milestones'] == Counter(
            {1: 1, 2: 2})
    resumed = scheduler(torch.optim.SGD(torch.nn.Linear(3, 2).parameters(),
                                        lr=0.1))
    resumed.load_state_dict(ckpt['param_schedulers'][0])
    assert resumed.last_step == sched.last_step == 2


@pytest.mark.parametrize('protocol', PROTOCOLS)
@pytest.mark.parametrize('dtype', NUMPY_DTYPES, ids=lambda t: t.__name__)
def test_numpy_values(tmp_path, dtype, protocol):
    values = np.arange(6).astype(dtype)
    content = dict(
        array=values, empty=values[:0], scalar=values[1], dtype=values.dtype,
        zero_d=np.array(values[1]),
        fortran=np.asfortranarray(values.reshape(2, 3)))
    round_trip(dict(meta=content), tmp_path, protocol)


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_object_arrays_are_refused(tmp_path, protocol):
    """Outside the allow-list: nothing in a checkpoint of weights needs
    them."""
    path = tmp_path / 'objects.pth'
    torch.save(dict(x=np.array([{}, 1], dtype=object)), path,
               **({} if protocol is None else dict(pickle_protocol=protocol)))
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(str(path))


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_meta(tmp_path, protocol):
    """``meta`` as MMEngine's Runner, CheckpointHook (``save_best``) and the
    MMPretrain / MMDetection model zoos write it."""
    meta = dict(
        epoch=3, iter=120, seed=np.int64(2024), time='20250101_120000',
        mmengine='0.10.7', mmengine_version='0.10.7', mmdet_version='3.3.0',
        mmpretrain_version='1.2.0', experiment_name='resnet18_20250101',
        cfg="model = dict(type='ImageClassifier')\n",
        dataset_meta=dict(classes=('neutral', 'happy', 'sad'),
                          palette=[(220, 20, 60), (119, 11, 32)]),
        CLASSES=('face', ),
        hook_msgs=dict(best_score=np.float64(0.875), best_ckpt='best.pth',
                       last_ckpt='/work_dirs/epoch_3.pth',
                       best_ckpt_path=None))
    ckpt = round_trip(dict(meta=meta), tmp_path, protocol)
    assert ckpt['meta']['dataset_meta']['classes'] == ('neutral', 'happy',
                                                       'sad')


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_ema_state(tmp_path, protocol):
    """An ``ema_state_dict`` as ``EMAHook`` saves it."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    ema = ExponentialMovingAverage(model, momentum=0.5)
    for _ in range(2):
        with torch.no_grad():
            model[0].weight.add_(1.0)
        ema.update_parameters(model)
    ckpt = round_trip(dict(ema_state_dict=ema.state_dict()), tmp_path,
                      protocol)
    assert int(ckpt['ema_state_dict']['steps']) == 2


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_amp_loss_scaler(tmp_path, protocol, monkeypatch):
    """``AmpOptimWrapper.state_dict()`` (optimizer + ``loss_scaler``).
    MMEngine 0.10.7 builds it on GPUs only; here on the CPU with torch's
    CPU GradScaler (same state)."""
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    monkeypatch.setattr(amp_optimizer_wrapper, 'GradScaler',
                        functools.partial(torch.amp.GradScaler, 'cpu'))
    model = torch.nn.Linear(3, 2)
    wrapper = amp_optimizer_wrapper.AmpOptimWrapper(
        optimizer=torch.optim.Adam(model.parameters(), lr=0.1),
        loss_scale=dict(init_scale=2.**8, growth_interval=1))
    for _ in range(2):
        wrapper.update_params(model(torch.randn(4, 3)).sum())
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 2.**10  # grew once per step
    ckpt = round_trip(dict(optimizer=state), tmp_path, protocol)
    assert ckpt['optimizer']['loss_scaler']['scale'] == 2.**10


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_code_next_to_legitimate_content_is_refused(tmp_path, protocol):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'mixed.pth'
    torch.save(
        dict(state_dict=torch.nn.Linear(3, 2).state_dict(),
             message_hub=dict(log_scalars=dict(empty=HistoryBuffer())),
             meta=dict(seed=np.int64(1), hook=WritesMarker(marker))),
        path, **({} if protocol is None else dict(pickle_protocol=protocol)))
    for load in (lambda: load_checkpoint_file(str(path)),
                 lambda: load_checkpoint(torch.nn.Linear(3, 2), str(path))):
        with pytest.raises(UnsafeCheckpointError, match='open'):
            load()
    assert not marker.exists()


@pytest.mark.parametrize('protocol', [4, 5])
def test_newer_protocols_are_refused_with_the_reason(tmp_path, protocol):
    path = tmp_path / 'p.pth'
    torch.save(dict(w=torch.zeros(2)), path, pickle_protocol=protocol)
    with pytest.raises(UnsafeCheckpointError,
                       match=f'protocol {protocol}.*default protocol'):
        load_checkpoint_file(str(path))


def test_legacy_file_format(tmp_path):
    """Files of torch < 1.6 (not zip), e.g. old model-zoo checkpoints."""
    saved = dict(state_dict=torch.nn.Linear(3, 2).state_dict(),
                 meta=dict(seed=np.int64(3), hist=np.arange(3)),
                 message_hub=dict(log_scalars=dict(e=HistoryBuffer())))
    path = tmp_path / 'legacy.pth'
    torch.save(saved, path, _use_new_zipfile_serialization=False)
    assert_same(load_checkpoint_file(str(path)), saved)


# A real MMEngine Runner run: 1-layer model, 2 iterations.


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, inputs, labels, mode='loss'):
        return dict(
            loss=torch.nn.functional.cross_entropy(self.fc(inputs), labels))


class TinySet(Dataset):
    metainfo = dict(classes=('neutral', 'happy'))  # saved as dataset_meta

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return dict(inputs=torch.full((3, ), float(i)),
                    labels=torch.tensor(i % 2))


class AddsEmptyBuffer(Hook):
    """A message-hub buffer that is registered but never updated."""

    def before_train(self, runner):
        runner.message_hub.load_state_dict(
            dict(log_scalars=dict(never_updated=HistoryBuffer()),
                 runtime_info=dict(), resumed_keys=dict(never_updated=True)))


def tiny_runner(work_dir, empty_buffer, **kwargs):
    return Runner(
        model=TinyModel(), work_dir=str(work_dir),
        experiment_name=f'ckpt_{uuid.uuid4().hex}',
        train_dataloader=DataLoader(TinySet(), batch_size=2),
        train_cfg=dict(by_epoch=False, max_iters=2),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.5, end=2, by_epoch=False),
            dict(type='MultiStepLR', milestones=[1], by_epoch=False)],
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=2, by_epoch=False)),
        custom_hooks=[dict(type='EMAHook')] +
        ([AddsEmptyBuffer()] if empty_buffer else []),
        default_scope='mmengine', log_level='WARNING', **kwargs)


@pytest.mark.parametrize('empty_buffer', [False, True],
                         ids=['hub-filled', 'hub-with-empty-buffer'])
def test_runner_checkpoint(tmp_path, empty_buffer):
    runner = tiny_runner(tmp_path / 'train', empty_buffer)
    runner.train()
    path = tmp_path / 'train' / 'iter_2.pth'
    # our own file: a full unpickle is the independent reference
    reference = torch.load(path, weights_only=False)
    assert set(reference) >= {'meta', 'state_dict', 'message_hub', 'optimizer',
                              'param_schedulers', 'ema_state_dict'}
    buffers = reference['message_hub']['log_scalars']
    assert ('never_updated' in buffers) == empty_buffer
    assert_same(load_checkpoint_file(str(path)), reference)

    # MMEngine's resume (load_from + resume), through mmsde's loader
    resumed = tiny_runner(tmp_path / 'resume', empty_buffer,
                          load_from=str(path), resume=True)
    resumed.train()  # resumes at iteration 2 of 2: nothing left to train
    assert resumed.iter == 2
    assert resumed.message_hub.get_info('dataset_meta') == dict(
        classes=('neutral', 'happy'))
    assert_same(resumed.message_hub.get_scalar('train/loss'),
                buffers['train/loss'])
    trained = runner.model.state_dict()
    for name, weight in resumed.model.state_dict().items():
        assert torch.equal(weight, trained[name]), name
