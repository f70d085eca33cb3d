"""Hooks of mmsde's algorithms."""
from .channels_last_hook import ChannelsLastHook
from .distill_warmup_hook import DistillWarmupHook
from .scn_relabel_hook import SCNRelabelHook
from .teacher_cache_hook import TeacherCacheHook
from .train_speed_hook import TrainSpeedHook

__all__ = [
    'ChannelsLastHook', 'DistillWarmupHook', 'SCNRelabelHook',
    'TeacherCacheHook', 'TrainSpeedHook'
]
