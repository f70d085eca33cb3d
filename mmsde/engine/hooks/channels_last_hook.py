"""Channels-last memory format for the model's convolution weights."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


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
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
