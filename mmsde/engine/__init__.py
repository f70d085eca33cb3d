"""Training-time helpers of mmsde: hooks, registered into MMPretrain's
``HOOKS`` registry."""
from .hooks import DistillWarmupHook, TeacherCacheHook

__all__ = ['DistillWarmupHook', 'TeacherCacheHook']
