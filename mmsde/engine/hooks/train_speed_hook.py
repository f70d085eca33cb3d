"""Training throughput of the iterations a process ran."""
import time
from typing import Any, Optional

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


def count_images(inputs: Any) -> int:
    """Images in a collated batch's ``inputs``: a batch tensor ``N x C x H x
    W``, a list of ``C x H x W`` images, or lists of those (multi-view and
    paired samples give one entry per view)."""
    if isinstance(inputs, torch.Tensor):
        return inputs.shape[0] if inputs.dim() == 4 else 1
    if isinstance(inputs, (list, tuple)):
        return sum(count_images(item) for item in inputs)
    raise TypeError(f'cannot count images in {type(inputs).__name__}')


@HOOKS.register_module()
class TrainSpeedHook(Hook):
    """Count the training images and the wall-clock seconds of this
    process's training (validation between epochs included; a resumed run
    counts from where it resumed) into the message hub's
    ``train_images`` and ``train_seconds`` infos."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._start: Optional[float] = None
        self._images = 0

    def before_train(self, runner) -> None:
        self._start, self._images = time.perf_counter(), 0

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._images += count_images(data_batch['inputs'])

    def after_train(self, runner) -> None:
        runner.message_hub.update_info('train_images', self._images)
        runner.message_hub.update_info(
            'train_seconds', time.perf_counter() - self._start)
