"""Mixed precision in bfloat16, on CPUs as on GPUs."""
import warnings
from contextlib import contextmanager
from typing import List

import torch
from mmengine.device import get_device
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS
from torch import nn

from mmsde.utils.cpu_features import native_bf16_isas


class BF16UnsupportedError(RuntimeError):
    """The device would emulate bfloat16 (slowly) instead of computing it."""


def bf16_support(device: str) -> List[str]:
    """What makes bfloat16 native on ``device`` (``'cpu'`` or ``'cuda'``):
    the CPU's instruction sets, or the GPU's name; empty when it would be
    emulated."""
    if device == 'cuda':
        return ([torch.cuda.get_device_name()]
                if torch.cuda.is_bf16_supported() else [])
    if device == 'cpu':
        return native_bf16_isas()
    return []


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward passes run under bfloat16 autocast.

    MMEngine's ``AmpOptimWrapper`` trains on GPUs only and scales the loss for
    float16; bfloat16 keeps float32's exponent range, so it needs no loss
    scaling, and it is native on recent CPUs (AVX-512 BF16, AMX, Arm BF16)
    as on Ampere and later GPUs. Parameters, gradients and the optimiser's
    state stay float32 (autocast casts copies of the weights for each
    operation), so checkpoints are float32 and load anywhere. Validation
    and testing run outside :meth:`optim_context`, in float32.

    Args:
        enabled: ``False`` trains in float32: a float32 run of a config
            whose default is bfloat16 (``--cfg-options
            optim_wrapper.enabled=False``).
        fp32_fallback: On a device without native bfloat16, train in
            float32 with a warning instead of refusing. Configs that make
            bfloat16 their default set it, so they still run everywhere;
            ``--amp`` asks for bfloat16 and refuses.
        **kwargs: ``OptimWrapper``'s arguments.

    Attributes:
        precision: ``'bf16'``, or ``'fp32'`` when disabled or after a
            fallback; kept in the run's records.

    Raises:
        BF16UnsupportedError: Without native bfloat16 and without
            ``fp32_fallback``.

    Examples:
        >>> optim_wrapper = dict(type='BF16OptimWrapper',
        ...                      optimizer=dict(type='Adam', lr=1e-3))
    """

    def __init__(self, *args, enabled: bool = True,
                 fp32_fallback: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = get_device()
        support = enabled and bf16_support(self.device)
        self.precision = 'bf16' if support else 'fp32'
        if support or not enabled:
            return
        message = (f'bfloat16 is not native on this {self.device} (no '
                   'AVX-512 BF16, AMX-BF16 or Arm BF16 in /proc/cpuinfo; '
                   'GPUs need torch.cuda.is_bf16_supported()); emulated '
                   'it would be slower than float32')
        if not fp32_fallback:
            raise BF16UnsupportedError(
                f'{message}. Train without --amp (or with optim_wrapper.'
                'type=OptimWrapper) in float32.')
        warnings.warn(f'{message}: training in float32.')

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation) under bfloat16
        autocast on this wrapper's device."""
        with super().optim_context(model), torch.autocast(
                device_type=self.device, dtype=torch.bfloat16,
                enabled=self.precision == 'bf16'):
            yield
