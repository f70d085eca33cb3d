"""Hooks of mmsde's algorithms."""
from .teacher_cache_hook import TeacherCacheHook

__all__ = ['TeacherCacheHook']
