"""Training-time helpers of mmsde: hooks and optimiser wrappers, registered
into MMPretrain's ``HOOKS`` and ``OPTIM_WRAPPERS`` registries."""
from .hooks import (ChannelsLastHook, DistillWarmupHook, LossWarmupHook,
                    TeacherCacheHook)
from .optimizers import BF16OptimWrapper, BF16UnsupportedError

__all__ = [
    'BF16OptimWrapper', 'BF16UnsupportedError', 'ChannelsLastHook',
    'DistillWarmupHook', 'LossWarmupHook', 'TeacherCacheHook'
]
