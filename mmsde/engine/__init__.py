"""Training-time helpers of mmsde: hooks, registered into MMPretrain's
``HOOKS`` registry."""
from .hooks import (ChannelsLastHook, DistillWarmupHook, LossWarmupHook,
                    TeacherCacheHook)

__all__ = [
    'ChannelsLastHook', 'DistillWarmupHook', 'LossWarmupHook',
    'TeacherCacheHook'
]
