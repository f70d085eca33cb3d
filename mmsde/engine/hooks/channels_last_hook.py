"""Channels-last memory format for the model's convolution weights."""
import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmsde.utils.model import unwrap_model


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Put the model's 4-D tensors in channels-last (NHWC) memory format.

    Convolutions on GPUs with tensor cores (and oneDNN on CPUs) run faster
    in NHWC, above all with mixed precision; activations follow the
    weights' format, so inputs need no change. Results are the same up to
    floating-point summation order. Enable with
    ``custom_hooks = [dict(type='ChannelsLastHook')]``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Convert the (unwrapped) model once, before anything runs."""
        model = unwrap_model(runner.model)
        model.to(memory_format=torch.channels_last)
