"""Hooks of mmsde's algorithms."""
from .distill_warmup_hook import DistillWarmupHook
from .teacher_cache_hook import TeacherCacheHook

__all__ = ['DistillWarmupHook', 'TeacherCacheHook']
