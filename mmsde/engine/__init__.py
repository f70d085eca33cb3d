"""Training-time helpers of mmsde: hooks, registered into MMPretrain's
``HOOKS`` registry."""
from .hooks import TeacherCacheHook

__all__ = ['TeacherCacheHook']
