"""Augmentations of a whole batch on its device, with draws shared by views.

Per-image CPU transforms starve a GPU when the network is small and the
images are small: the dataloader, not the GPU, sets the pace. These
augmentations run inside the data preprocessor on the batch tensor (pixel
values 0-255, RGB or BGR alike), one draw per sample, applied identically to
every view of a multi-view sample (the two images of an MSD-E pair), as
:class:`~mmsde.datasets.transforms.PairedTransform` does on the CPU. They
follow the MSD-E authors' per-image augmentations: horizontal flip,
brightness/contrast jitter, shift-scale-rotate.

Each class draws parameters with :meth:`draw` (torch's global generator,
which MMEngine seeds) and applies them with :meth:`apply`.
"""
import math
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

Params = Dict[str, torch.Tensor]


def _applied(n: int, prob: float, device: torch.device) -> torch.Tensor:
    """Which of ``n`` samples an augmentation applies to."""
    return torch.rand(n, device=device) < prob


def _uniform(low: float, high: float, n: int,
             device: torch.device) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, device=device)


def _check_prob(name: str, prob: float) -> None:
    if not 0 <= prob <= 1:
        raise ValueError(f'{name}: prob must be in [0, 1], got {prob}')


@MODELS.register_module()
class BatchFlip:
    """Horizontal flip of each sample with probability ``prob``.

    Args:
        prob (float): Flip probability. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5):
        _check_prob('BatchFlip', prob)
        self.prob = prob

    def draw(self, n: int, device: torch.device) -> Params:
        return dict(flip=_applied(n, self.prob, device))

    def apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return torch.where(params['flip'][:, None, None, None], x.flip(-1), x)


@MODELS.register_module()
class BatchColorJitter:
    """Brightness and contrast jitter, as ``ColorJitter`` on each image.

    Brightness multiplies the pixels by ``U(1 - b, 1 + b)``; contrast blends
    each image with its mean grey by ``U(1 - c, 1 + c)``; results are clipped
    to 0-255.

    Args:
        brightness (float): ``b``. Defaults to 0.2.
        contrast (float): ``c``. Defaults to 0.2.
        prob (float): Probability of jittering a sample. Defaults to 0.5.
    """

    def __init__(self,
                 brightness: float = 0.2,
                 contrast: float = 0.2,
                 prob: float = 0.5):
        _check_prob('BatchColorJitter', prob)
        if not (0 <= brightness < 1 and 0 <= contrast < 1):
            raise ValueError('BatchColorJitter: brightness and contrast must '
                             f'be in [0, 1), got {brightness}, {contrast}')
        self.brightness, self.contrast, self.prob = brightness, contrast, prob

    def draw(self, n: int, device: torch.device) -> Params:
        on = _applied(n, self.prob, device)
        b = _uniform(1 - self.brightness, 1 + self.brightness, n, device)
        c = _uniform(1 - self.contrast, 1 + self.contrast, n, device)
        one = torch.ones(n, device=device)
        return dict(brightness=torch.where(on, b, one),
                    contrast=torch.where(on, c, one))

    def apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        x = x * params['brightness'][:, None, None, None]
        grey = x.mean(dim=(1, 2, 3), keepdim=True)
        c = params['contrast'][:, None, None, None]
        return (grey + c * (x - grey)).clamp(0, 255)


@MODELS.register_module()
class BatchShiftScaleRotate:
    """Shift, scale and rotate each sample (reflected borders).

    Shift is a fraction of the side in ``[-shift_limit, shift_limit]``,
    scale ``1 + U(-scale_limit, scale_limit)`` or ``U(*scale_range)`` when
    given, rotation ``U(-rotate_limit, rotate_limit)`` degrees, as the
    CPU :class:`~mmsde.datasets.transforms.ShiftScaleRotate`.

    Args:
        shift_limit (float): Defaults to 0.0625.
        scale_limit (float): Defaults to 0.1.
        rotate_limit (float): Degrees. Defaults to 3.
        scale_range (tuple, optional): ``(low, high)`` instead of
            ``scale_limit``.
        prob (float): Probability of transforming a sample. Defaults to 0.5.
    """

    def __init__(self,
                 shift_limit: float = 0.0625,
                 scale_limit: float = 0.1,
                 rotate_limit: float = 3.0,
                 scale_range: Sequence[float] = None,
                 prob: float = 0.5):
        _check_prob('BatchShiftScaleRotate', prob)
        if scale_range is None:
            scale_range = (1 - scale_limit, 1 + scale_limit)
        if len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError('BatchShiftScaleRotate: scale_range must be '
                             f'(low, high) with 0 < low <= high, got '
                             f'{scale_range}')
        self.shift_limit, self.rotate_limit = shift_limit, rotate_limit
        self.scale_range: Tuple[float, float] = tuple(scale_range)
        self.prob = prob

    def draw(self, n: int, device: torch.device) -> Params:
        on = _applied(n, self.prob, device)
        angle = _uniform(-self.rotate_limit, self.rotate_limit, n, device)
        scale = _uniform(*self.scale_range, n, device)
        shift = _uniform(-self.shift_limit, self.shift_limit, 2 * n,
                         device).view(n, 2)
        return dict(angle=torch.where(on, angle, torch.zeros_like(angle)),
                    scale=torch.where(on, scale, torch.ones_like(scale)),
                    shift=torch.where(on[:, None], shift,
                                      torch.zeros_like(shift)))

    def apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        rad = params['angle'] * (math.pi / 180)
        cos, sin = torch.cos(rad), torch.sin(rad)
        scale = params['scale']
        tx, ty = 2 * params['shift'][:, 0], 2 * params['shift'][:, 1]
        # output -> input sampling grid, the inverse of "rotate, scale, then
        # shift" in normalised coordinates (square images)
        theta = torch.stack([
            torch.stack([cos, sin, -(cos * tx + sin * ty)], 1),
            torch.stack([-sin, cos, sin * tx - cos * ty], 1),
        ], 1) / scale[:, None, None]
        theta = theta.to(x.dtype)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode='bilinear',
                             padding_mode='reflection', align_corners=False)


def build_batch_augments(cfgs: Sequence[dict]) -> List:
    """Build a list of batch augmentations from configs."""
    augments = [MODELS.build(dict(cfg)) for cfg in cfgs]
    for aug in augments:
        if not (hasattr(aug, 'draw') and hasattr(aug, 'apply')):
            raise TypeError(f'{type(aug).__name__} is not a batch '
                            'augmentation (needs draw and apply)')
    return augments


def augment_views(augments: Sequence, views: List[torch.Tensor]
                  ) -> List[torch.Tensor]:
    """Apply each augmentation with one draw per sample to every view.

    Args:
        augments: Built augmentations, applied in order.
        views: ``[B, C, H, W]`` float tensors of pixel values, one per view.

    Returns:
        list[torch.Tensor]: The augmented views.
    """
    n, device = views[0].size(0), views[0].device
    for aug in augments:
        params = aug.draw(n, device)
        views = [aug.apply(view, params) for view in views]
    return views
