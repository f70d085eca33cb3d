"""Build MMEngine runners from config files: the logic behind
``tools/train.py`` and ``tools/test.py``, reusable from Python (e.g. by the
k-fold tool)."""
import os
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper
from mmengine.runner import Runner

from mmsde.engine.hooks import TrainSpeedHook
from mmsde.utils.bundled import resolve_config
from mmsde.utils.cpu_features import CPUINFO, native_bf16_isas
from mmsde.utils.model import unwrap_model


def load_config(config: str,
                work_dir: Optional[str] = None,
                cfg_options: Optional[dict] = None,
                launcher: str = 'none',
                amp: bool = False,
                resume: Optional[str] = None,
                auto_scale_lr: bool = False) -> Config:
    """Load a config file and apply the usual command-line overrides.

    Args:
        config: Path of the config file, or ``mmsde::<folder>/<file>.py``
            for a bundled one.
        work_dir: Output folder; defaults to ``work_dirs/<config name>``.
        cfg_options: Key-value pairs merged into the config.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        amp: Train with mixed precision (:func:`_enable_amp`).
        resume: ``'auto'`` to resume from the latest checkpoint in
            ``work_dir``, a checkpoint path, or ``None``.
        auto_scale_lr: Scale the learning rate by the actual batch size.

    Returns:
        The ready config.
    """
    cfg = Config.fromfile(str(resolve_config(config)))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                                osp.splitext(osp.basename(config))[0])
    if amp:
        _enable_amp(cfg)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    if auto_scale_lr:
        cfg.setdefault('auto_scale_lr', dict(base_batch_size=256))
        cfg.auto_scale_lr.enable = True
    _use_gloo_without_gpu(cfg)
    return cfg


def _enable_amp(cfg: Config) -> None:
    """Mixed precision: float16 with loss scaling (``AmpOptimWrapper``) on a
    GPU; bfloat16 autocast with channels-last weights (``BF16OptimWrapper``,
    ``ChannelsLastHook``) on a CPU that computes bfloat16 natively. Never
    float16 on a CPU.

    Raises:
        ValueError: The config's optimiser wrapper is of another kind, or
            the CPU would emulate bfloat16.
    """
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'AmpOptimWrapper':
        return
    if wrapper not in ('OptimWrapper', 'BF16OptimWrapper'):
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, '
                         f'got {wrapper!r}')
    if torch.cuda.is_available():
        if wrapper == 'OptimWrapper':
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:  # the config asks for bfloat16: keep it, strictly
            cfg.optim_wrapper.update(enabled=True, fp32_fallback=False)
        return
    isas = native_bf16_isas()
    if not isas:
        raise ValueError(
            '--amp on a CPU trains in bfloat16, and this CPU would emulate '
            'it (no AVX-512 BF16, AMX-BF16 or Arm BF16 flag in '
            f'{CPUINFO}), slower than float32; float16 is not offered on '
            'CPUs. Train without --amp.')
    set_precision(cfg, bf16=True, channels_last=True)
    print_log(f'--amp: bfloat16 autocast and channels-last on the CPU '
              f'({", ".join(isas)})', logger='current')


def set_precision(cfg: Config, bf16: bool, channels_last: bool) -> None:
    """Train in bfloat16 or float32, with or without channels-last weights,
    whatever the config's default (``bf16`` refuses where bfloat16 would
    be emulated)."""
    if bf16:
        cfg.optim_wrapper.update(type='BF16OptimWrapper', enabled=True,
                                 fp32_fallback=False)
    elif cfg.optim_wrapper.get('type') == 'BF16OptimWrapper':
        cfg.optim_wrapper.enabled = False
    if channels_last:
        use_channels_last(cfg)
        return
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks') or []
                        if h.get('type') != 'ChannelsLastHook']
    for name, hook in list((cfg.get('default_hooks') or {}).items()):
        if hook is not None and hook.get('type') == 'ChannelsLastHook':
            cfg.default_hooks.pop(name)


def use_channels_last(cfg: Config) -> None:
    """Add ``ChannelsLastHook`` to the config's custom hooks unless its
    custom or default hooks have it."""
    hooks = list(cfg.get('custom_hooks') or [])
    present = hooks + [h for h in (cfg.get('default_hooks') or {}).values()
                       if h is not None]
    if not any(h.get('type') == 'ChannelsLastHook' for h in present):
        cfg.custom_hooks = hooks + [dict(type='ChannelsLastHook')]


def input_size_options(cfg: Config, size: int) -> Dict[str, tuple]:
    """Options that resize the config's inputs to ``size`` px: every
    ``Resize`` step of its training, validation and test pipelines (inside
    a ``PairedTransform`` too), for ``cfg_options`` or ``merge_from_dict``.
    """
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        prefix = f'{loader}.dataset.pipeline'
        for i, step in enumerate(cfg[loader].dataset.pipeline):
            inner = step.get('transforms') if step.type == 'PairedTransform' \
                else [step]
            for j, t in enumerate(inner or []):
                if t.type == 'Resize':
                    path = f'{prefix}.{i}.transforms.{j}' if t is not step \
                        else f'{prefix}.{i}'
                    options[f'{path}.scale'] = (size, size)
    return options


def training_precision(optim_wrapper) -> str:
    """The precision an optimiser wrapper trains in: ``'fp32'``, ``'bf16'``
    or ``'fp16'`` (a ``BF16OptimWrapper`` that fell back says ``'fp32'``)."""
    precision = getattr(optim_wrapper, 'precision', None)
    if precision is not None:
        return precision
    if isinstance(optim_wrapper, AmpOptimWrapper):
        return 'bf16' if optim_wrapper.cast_dtype == torch.bfloat16 \
            else 'fp16'
    return 'fp32'


def _use_gloo_without_gpu(cfg: Config) -> None:
    """Use gloo and a CPU DDP wrapper for distributed runs without a GPU."""
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        # MMEngine passes device_ids=[LOCAL_RANK], which DDP refuses for
        # CPU modules; an explicit None keeps it out.
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            device_ids=None)


def _init_cpu_process_group(cfg: Config) -> None:
    """Join torchrun's process group on a machine without a GPU.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` first, which fails
    without a GPU; once the group exists the runner skips that step.
    """
    import torch.distributed as dist
    if (cfg.launcher != 'pytorch' or torch.cuda.is_available()
            or dist.is_initialized()):
        return
    dist.init_process_group(backend=cfg.env_cfg.dist_cfg.backend)


def close_process_group() -> None:
    """Leave the distributed process group, if this process joined one.

    Call it before the interpreter exits: gloo's worker threads that outlive
    the group abort the process at shutdown (``terminate called without an
    active exception``), which torchrun reports as a failed rank.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def build_runner(cfg: Config) -> Runner:
    """Build a runner, letting a ``runner_type`` in the config pick it."""
    _init_cpu_process_group(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def train(cfg: Config) -> Runner:
    """Train with the config; returns the runner (with its ``work_dir``)."""
    runner = build_runner(cfg)
    runner.train()
    return runner


def train_and_test(cfg: Config) -> dict:
    """Train, then evaluate on the test set the checkpoint that the
    ``CheckpointHook`` picked on the validation set (``save_best``), or the
    last weights when the config picks none.

    Returns:
        The test metrics, plus ``checkpoint`` (the evaluated checkpoint),
        ``params`` (the model's parameters, a frozen teacher's excluded),
        ``precision`` (:func:`training_precision`), ``train_images`` and
        ``train_seconds`` (this process's training,
        :class:`~mmsde.engine.hooks.TrainSpeedHook`).
    """
    runner = build_runner(cfg)
    runner.register_hook(TrainSpeedHook())
    runner.train()
    best = runner.message_hub.get_info('best_ckpt')
    if best:
        runner.load_checkpoint(best)
    metrics = dict(runner.test())
    metrics['checkpoint'] = best or 'last'
    metrics['params'] = count_parameters(runner.model)
    metrics['precision'] = training_precision(runner.optim_wrapper)
    for key in ('train_images', 'train_seconds'):
        metrics[key] = runner.message_hub.get_info(key)
    return metrics


def count_parameters(model: torch.nn.Module) -> int:
    """Parameters of a model, without a distiller's frozen teacher."""
    model = unwrap_model(model)
    return sum(p.numel() for name, p in model.named_parameters()
               if not name.startswith('teacher.'))


def test(cfg: Config, checkpoint: str, out: Optional[str] = None) -> dict:
    """Evaluate ``checkpoint`` on the config's test set.

    Args:
        cfg: A config loaded by :func:`load_config`.
        checkpoint: The checkpoint to evaluate.
        out: Optional ``.pkl`` file that receives the raw predictions.

    Returns:
        The metrics.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg.load_from = checkpoint
    if out is not None:
        if not out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {out}')
        cfg.test_evaluator = list(_as_list(cfg.test_evaluator)) + [
            dict(type='DumpResults', out_file_path=out)]
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    runner = build_runner(cfg)
    return runner.test()


def _as_list(evaluator) -> list:
    return evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
