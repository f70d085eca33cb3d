"""Hooks of mmsde's algorithms."""
from .channels_last_hook import ChannelsLastHook
from .loss_warmup_hook import DistillWarmupHook, LossWarmupHook
from .scn_relabel_hook import SCNRelabelHook
from .teacher_cache_hook import TeacherCacheHook
from .train_speed_hook import TrainSpeedHook

__all__ = [
    'ChannelsLastHook', 'DistillWarmupHook', 'LossWarmupHook',
    'SCNRelabelHook', 'TeacherCacheHook', 'TrainSpeedHook'
]
