"""Training-time helpers of mmsde: hooks, registered into MMPretrain's
``HOOKS`` registry."""
from .hooks import ChannelsLastHook, DistillWarmupHook, TeacherCacheHook

__all__ = ['ChannelsLastHook', 'DistillWarmupHook', 'TeacherCacheHook']
