"""Linear warm-up of extra loss terms, set from the schedule."""
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmsde.utils.model import unwrap_model


@HOOKS.register_module()
class LossWarmupHook(Hook):
    """Ramp a model's loss scale attribute (``scale_name``) from 0 to 1.

    The schedule lives in a hook, as MMPretrain's DINO teacher-temperature
    warm-up does, so the model never reads the runner's state. At iteration
    ``i`` (0-based) the scale is 0 before ``begin_iter``, then
    ``min(1, (i - begin_iter + 1) / warmup_iters)``: the term starts once
    the rest of the objective has had ``begin_iter`` steps.

    Args:
        scale_name (str): The model attribute, e.g. ``'contrast_scale'``
            of :class:`SupConClassifier`.
        warmup_iters (int): Length of the ramp in iterations (>= 1).
        begin_iter (int): Iterations with the term off (>= 0).
    """

    priority = 'NORMAL'

    def __init__(self, scale_name: str, warmup_iters: int,
                 begin_iter: int = 0) -> None:
        name = type(self).__name__
        for key, value, least in (('warmup_iters', warmup_iters, 1),
                                  ('begin_iter', begin_iter, 0)):
            if int(value) != value or value < least:
                raise ValueError(f'{name}: {key} must be an integer >= '
                                 f'{least}, got {value!r}')
        self.scale_name = scale_name
        self.warmup_iters = int(warmup_iters)
        self.begin_iter = int(begin_iter)

    def scale(self, iteration: int) -> float:
        """The scale at a 0-based training iteration."""
        done = iteration - self.begin_iter + 1
        return min(1.0, max(0, done) / self.warmup_iters)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Set the model's scale for this iteration."""
        model = unwrap_model(runner.model)
        if not hasattr(model, self.scale_name):
            raise TypeError(f'{type(self).__name__} needs a model with '
                            f'{self.scale_name}, got {type(model).__name__}')
        setattr(model, self.scale_name, self.scale(runner.iter))


@HOOKS.register_module()
class DistillWarmupHook(LossWarmupHook):
    """Ramp a :class:`MaskedFERDistiller`'s ``distill_scale`` linearly from
    ``1 / warmup_iters`` to 1 over the first ``warmup_iters`` iterations;
    cross-entropy is not scaled (:class:`LossWarmupHook` with
    ``scale_name='distill_scale'``).

    Args:
        warmup_iters (int): Length of the warm-up in iterations (>= 1).
    """

    def __init__(self, warmup_iters: int) -> None:
        super().__init__('distill_scale', warmup_iters)
