"""Linear warm-up of the distillation losses, set from the schedule."""
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmsde.utils.model import unwrap_model


@HOOKS.register_module()
class DistillWarmupHook(Hook):
    """Ramp a :class:`MaskedFERDistiller`'s ``distill_scale`` linearly from
    ``1 / warmup_iters`` to 1 over the first ``warmup_iters`` iterations.

    The schedule lives in a hook, as MMPretrain's DINO teacher-temperature
    warm-up does, so the model never reads the runner's state. At iteration
    ``i`` (0-based) the distillation terms are scaled by
    ``min(1, (i + 1) / warmup_iters)``; cross-entropy is not scaled.

    Args:
        warmup_iters (int): Length of the warm-up in iterations (>= 1).
    """

    priority = 'NORMAL'

    def __init__(self, warmup_iters: int) -> None:
        if int(warmup_iters) != warmup_iters or warmup_iters < 1:
            raise ValueError('DistillWarmupHook: warmup_iters must be an '
                             f'integer >= 1, got {warmup_iters!r}')
        self.warmup_iters = int(warmup_iters)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Set the model's ``distill_scale`` for this iteration."""
        model = unwrap_model(runner.model)
        if not hasattr(model, 'distill_scale'):
            raise TypeError('DistillWarmupHook needs a model with '
                            f'distill_scale, got {type(model).__name__}')
        model.distill_scale = min(1.0, (runner.iter + 1) / self.warmup_iters)
