"""bfloat16 training on the CPU (``BF16OptimWrapper``, ``--amp``): the loss
of a step within a stated tolerance of float32, float32 parameters,
optimiser state and checkpoints, and a clear refusal where the CPU would
emulate bfloat16."""
import copy
import warnings

import pytest
import torch
from mmengine.optim import OptimWrapper
from test_fast_path import batch, classifier

from mmsde.engine import BF16OptimWrapper, BF16UnsupportedError
from mmsde.utils.cpu_features import cpu_flags, native_bf16_isas

WRAPPER = 'mmsde.engine.optimizers.bf16_optim_wrapper.native_bf16_isas'
RUNNER = 'mmsde.apis.runner.native_bf16_isas'


@pytest.fixture
def bf16_cpu(monkeypatch):
    """Detection says AVX-512 BF16 (this machine's), so the tests run on a
    CPU without it too (emulated there: slower, the same numerics)."""
    for target in (WRAPPER, RUNNER):
        monkeypatch.setattr(target, lambda: ['AVX-512 BF16'])


@pytest.fixture
def fp32_only_cpu(monkeypatch):
    """Detection finds no native bfloat16."""
    for target in (WRAPPER, RUNNER):
        monkeypatch.setattr(target, lambda: [])


def adam_step(model, wrapper_type, **kwargs):
    """One training step with Adam; returns the loss, the dtypes the
    backbone's first convolution computed in, and the wrapper."""
    wrapper = wrapper_type(
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), **kwargs)
    seen = []
    handle = model.backbone.conv1.register_forward_hook(
        lambda module, args, out: seen.append(out.dtype))
    losses = model.train_step(batch(), wrapper)
    handle.remove()
    return losses['loss'].item(), seen, wrapper


def test_bf16_step_loss_near_fp32_with_fp32_weights_and_state(bf16_cpu):
    plain = classifier()
    mixed = copy.deepcopy(plain)
    loss_a, dtypes_a, _ = adam_step(plain, OptimWrapper)
    loss_b, dtypes_b, wrapper = adam_step(mixed, BF16OptimWrapper)
    assert dtypes_a == [torch.float32] and dtypes_b == [torch.bfloat16]
    # bfloat16 keeps 8 bits of mantissa: about 0.4% per operation
    assert loss_b == pytest.approx(loss_a, rel=0.02)
    assert wrapper.precision == 'bf16'
    for name, param in mixed.named_parameters():
        assert param.dtype == torch.float32, name
        state = wrapper.optimizer.state[param]
        assert state['exp_avg'].dtype == torch.float32, name
        assert state['exp_avg_sq'].dtype == torch.float32, name
    # Adam's first step moves every weight by about lr: same direction
    step_a = plain.head.fc.weight - classifier().head.fc.weight
    step_b = mixed.head.fc.weight - classifier().head.fc.weight
    agree = (step_a.sign() == step_b.sign()).float().mean().item()
    assert agree > 0.9


def test_bf16_refused_without_native_support(fp32_only_cpu):
    model = classifier()
    with pytest.raises(BF16UnsupportedError, match='not native on this cpu'):
        BF16OptimWrapper(optimizer=torch.optim.SGD(model.parameters(), 0.1))


def test_bf16_fallback_trains_fp32_with_a_warning(fp32_only_cpu):
    with pytest.warns(UserWarning, match='training in float32'):
        loss, dtypes, wrapper = adam_step(classifier(), BF16OptimWrapper,
                                          fp32_fallback=True)
    assert wrapper.precision == 'fp32' and dtypes == [torch.float32]
    expected, _, _ = adam_step(classifier(), OptimWrapper)
    assert loss == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('text, expected', [
    ('processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n',
     ['AVX-512 BF16']),
    ('flags\t: fpu avx512f amx_bf16 amx_tile avx512_bf16\n',
     ['AVX-512 BF16', 'AMX-BF16']),
    ('flags\t\t: fpu sse2 avx2 avx512f\n', []),
    ('processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n', ['Arm BF16']),
    ('processor\t: 0\n', []),
])
def test_native_bf16_read_from_cpuinfo(tmp_path, text, expected):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text(text)
    assert native_bf16_isas(str(cpuinfo)) == expected


def test_cpu_flags_empty_without_cpuinfo(tmp_path):
    assert cpu_flags(str(tmp_path / 'missing')) == frozenset()


def test_amp_on_cpu_without_native_bf16_is_refused(fp32_only_cpu):
    if torch.cuda.is_available():
        pytest.skip('a GPU is present: --amp uses AmpOptimWrapper there')
    from mmsde.apis import load_config
    config = 'configs/baseline/resnet18_1xb32-adam-12e_synthetic-msde-both.py'
    with pytest.raises(ValueError, match='this CPU would emulate it'):
        load_config(config, amp=True)


def test_amp_on_cpu_trains_bf16_and_saves_a_plain_fp32_checkpoint(
        bf16_cpu, tiny_msde, tmp_path):
    """``--amp`` on a CPU: bfloat16 wrapper and channels-last; the run
    records its precision, and its checkpoint (weights and Adam's state) is
    float32 and loads, every key, into a plain ``ImageClassifier``."""
    if torch.cuda.is_available():
        pytest.skip('a GPU is present: --amp uses AmpOptimWrapper there')
    from e2e_helpers import write_tiny_config
    from mmpretrain.registry import MODELS

    from mmsde.apis import load_config
    from mmsde.apis.runner import train_and_test
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    cfg = load_config(str(config), work_dir=str(tmp_path / 'run'), amp=True)
    assert cfg.optim_wrapper.type == 'BF16OptimWrapper'
    assert not cfg.optim_wrapper.fp32_fallback  # --amp asks: strict
    hooks = list(cfg.get('custom_hooks', [])) + list(
        cfg.default_hooks.values())
    assert sum(h['type'] == 'ChannelsLastHook' for h in hooks if h) == 1
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        metrics = train_and_test(cfg)
    assert metrics['precision'] == 'bf16'
    ckpt = torch.load(tmp_path / 'run' / 'epoch_1.pth', weights_only=False)
    state = ckpt['state_dict']
    floats = [v for v in state.values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float32 for v in floats)
    moments = [t for s in ckpt['optimizer']['state'].values()
               for t in s.values() if t.is_floating_point() and t.dim()]
    assert moments and all(t.dtype == torch.float32 for t in moments)
    model = MODELS.build(cfg.model)
    model.load_state_dict(state)  # strict: every key matches
    model.eval()
    data = model.data_preprocessor(batch(4), False)
    with torch.no_grad():
        scores = model(**data, mode='tensor')
    assert scores.shape == (4, 7) and torch.isfinite(scores).all()


def test_bf16_disabled_trains_fp32_without_a_warning(bf16_cpu):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        loss, dtypes, wrapper = adam_step(classifier(), BF16OptimWrapper,
                                          enabled=False)
    assert wrapper.precision == 'fp32' and dtypes == [torch.float32]


def test_set_precision_forces_fp32_or_bf16_whatever_the_default(bf16_cpu):
    """The benchmarks' switch: float32 without channels-last on a config
    whose default is bfloat16 with channels-last, and back."""
    from mmengine.config import Config

    from mmsde.apis.runner import set_precision
    config = ('configs/baseline/'
              'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py')
    cfg = Config.fromfile(config)
    assert cfg.optim_wrapper.type == 'BF16OptimWrapper'
    set_precision(cfg, bf16=False, channels_last=False)
    assert cfg.optim_wrapper.enabled is False
    hooks = list(cfg.get('custom_hooks', [])) + list(
        cfg.default_hooks.values())
    assert not any(h and h['type'] == 'ChannelsLastHook' for h in hooks)
    set_precision(cfg, bf16=True, channels_last=True)
    assert cfg.optim_wrapper.enabled and not cfg.optim_wrapper.fp32_fallback
    assert dict(type='ChannelsLastHook') in cfg.custom_hooks
