"""Supervised contrastive loss (Khosla et al., NeurIPS 2020)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, all_reduce, get_dist_info
from mmpretrain.registry import MODELS

from ..utils import all_gather_with_grad

CONTRAST_MODES = ('all', 'one')


@MODELS.register_module()
class SupConLoss(nn.Module):
    """Supervised contrastive loss, `SupCon
    <https://arxiv.org/abs/2004.11362>`_ (Khosla et al. 2020).

    For every anchor view ``i`` with positives ``P(i)`` (the other views of
    samples of the same label, or of the same sample without labels, self
    excluded) and all other views ``A(i)``::

        loss_i = -(T / T_base) / |P(i)| * sum_{p in P(i)}
                 log( exp(z_i . z_p / T) / sum_{a in A(i)} exp(z_i . z_a / T) )

    averaged over the anchors that have at least one positive (anchors
    without positives are left out of the mean, so they give no NaN).
    Features are L2-normalised along the last dimension inside. Without
    labels or mask it is SimCLR's NT-Xent loss.

    The loss is computed in float32 (float64 for float64 inputs) with
    autocast disabled, and returned in that dtype. The log-denominator is a
    log-sum-exp after subtracting each row's maximum, stable for any
    temperature.

    Distributed training: with ``gather_distributed`` and a process group of
    more than one process, the features (with gradient) and labels of all
    ranks are gathered; the local samples are the anchors, contrasted with
    the global batch, and the local sum is divided by the global number of
    valid anchors over the world size. The mean of the per-rank losses (what
    DDP optimises) then equals, value and gradient, the single-process loss
    on the concatenated batch. All ranks must have the same local batch size.

    Args:
        temperature: Temperature ``T`` of the softmax.
        base_temperature: ``T_base``; the loss is scaled by
            ``T / T_base``.
        contrast_mode: ``'all'`` (every view is an anchor) or ``'one'``
            (only the first view of each sample is an anchor; all views are
            contrasted).
        loss_weight: Weight of the loss.
        gather_distributed: Contrast against the samples of all ranks.
    """

    def __init__(self,
                 temperature: float = 0.07,
                 base_temperature: float = 0.07,
                 contrast_mode: str = 'all',
                 loss_weight: float = 1.0,
                 gather_distributed: bool = True) -> None:
        super().__init__()
        if contrast_mode not in CONTRAST_MODES:
            raise ValueError(f'SupConLoss: contrast_mode must be one of '
                             f'{CONTRAST_MODES}, got {contrast_mode!r}')
        if temperature <= 0 or base_temperature <= 0:
            raise ValueError(
                f'SupConLoss: temperatures must be > 0, got temperature='
                f'{temperature}, base_temperature={base_temperature}')
        self.temperature = temperature
        self.base_temperature = base_temperature
        self.contrast_mode = contrast_mode
        self.loss_weight = loss_weight
        self.gather_distributed = gather_distributed

    def forward(self,
                features: torch.Tensor,
                labels: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss, `SupCon <https://arxiv.org/abs/2004.11362>`_.

        Args:
            features: ``[N, V, D]`` (``V`` views of ``N`` samples) or
                ``[N, D]`` (``N`` single-view samples; needs labels or a
                mask). Need not be normalised.
            labels: ``[N]`` class labels; samples of one label are
                positives of each other.
            mask: ``[N, M]`` positive weights (``mask[i, j] > 0``: sample
                ``j`` is a positive of anchor sample ``i``; may be
                asymmetric), instead of labels. ``M`` is the number of
                samples over all ranks (``N`` in one process), in rank order.

        Returns:
            torch.Tensor: The scalar loss (float32, or float64 for float64
            features), times ``loss_weight``.
        """
        features = _as_views(features)
        if labels is not None and mask is not None:
            raise ValueError('SupConLoss: pass labels or mask, not both')
        if features.size(1) == 1 and labels is None and mask is None:
            raise ValueError(
                f'SupConLoss: single-view features {tuple(features.shape)} '
                'without labels or mask have no positives; pass labels, '
                'a mask, or [N, V, D] features with V >= 2')
        with torch.autocast(device_type=features.device.type, enabled=False):
            loss = self._loss(features, labels, mask)
        return self.loss_weight * loss

    def _loss(self, features: torch.Tensor, labels: Optional[torch.Tensor],
              mask: Optional[torch.Tensor]) -> torch.Tensor:
        """The loss on ``[N, V, D]`` features in float32 or float64, `SupCon
        <https://arxiv.org/abs/2004.11362>`_."""
        dtype = torch.promote_types(features.dtype, torch.float32)
        z = F.normalize(features.to(dtype), dim=-1)
        num, num_views, _ = z.shape
        rank, world_size = self._dist_info()
        z_all = all_gather_with_grad(z) if world_size > 1 else z
        total = z_all.size(0)
        positives = self._positive_mask(labels, mask, num, total, rank,
                                        z.device).to(dtype)

        # contrast: every view of every sample, view-major: w * total + j
        contrast = z_all.transpose(0, 1).reshape(num_views * total, -1)
        anchor_views = num_views if self.contrast_mode == 'all' else 1
        anchors = z[:, :anchor_views].transpose(0, 1).reshape(
            anchor_views * num, -1)
        if contrast.size(0) < 2:  # nothing to contrast with
            return z.sum() * 0.

        logits = anchors @ contrast.T / self.temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()
        is_self = _self_mask(anchor_views, num, total, num_views,
                             rank * num, z.device)
        log_prob = logits - torch.logsumexp(
            logits.masked_fill(is_self, float('-inf')), dim=1, keepdim=True)
        positives = positives.repeat(anchor_views, num_views)
        positives = positives.masked_fill(is_self, 0.)

        num_positives = positives.sum(dim=1)
        valid = num_positives > 0
        mean_log_prob = ((positives * log_prob).sum(dim=1)[valid] /
                         num_positives[valid])
        anchor_losses = -(self.temperature /
                          self.base_temperature) * mean_log_prob
        num_valid = valid.sum().to(dtype)
        if world_size > 1:
            all_reduce(num_valid, op='sum')
        # no valid anchor anywhere: an empty sum, 0 with a zero gradient
        return anchor_losses.sum() * world_size / num_valid.clamp(min=1)

    def _dist_info(self) -> Tuple[int, int]:
        """Rank and world size, ``(0, 1)`` when not gathering."""
        if not self.gather_distributed:
            return 0, 1
        return get_dist_info()

    def _positive_mask(self, labels: Optional[torch.Tensor],
                       mask: Optional[torch.Tensor], num: int, total: int,
                       rank: int, device: torch.device) -> torch.Tensor:
        """``[N, M]`` positive weights of local vs. global samples."""
        if mask is not None:
            if tuple(mask.shape) != (num, total):
                raise ValueError(
                    f'SupConLoss: mask must have shape (N, M) = '
                    f'({num}, {total}) (local x all-rank samples), got '
                    f'{tuple(mask.shape)}')
            return mask.to(device)
        if labels is None:  # SimCLR: each sample is its own class
            labels = torch.arange(num, device=device) + rank * num
        labels = labels.reshape(-1).to(device)
        if labels.numel() != num:
            raise ValueError(f'SupConLoss: {labels.numel()} labels for '
                             f'{num} samples')
        all_labels = labels
        if total != num:
            all_labels = torch.cat(all_gather(labels.contiguous()))
        return labels[:, None] == all_labels[None, :]


def _as_views(features: torch.Tensor) -> torch.Tensor:
    """``[N, V, D]`` from ``[N, V, D]`` or ``[N, D]`` features."""
    if features.dim() == 2:
        return features.unsqueeze(1)
    if features.dim() != 3:
        raise ValueError(f'SupConLoss: features must be [N, V, D] or '
                         f'[N, D], got shape {tuple(features.shape)}')
    return features


def _self_mask(anchor_views: int, num: int, total: int, num_views: int,
               offset: int, device: torch.device) -> torch.Tensor:
    """``[anchor_views * N, num_views * M]``: True where an anchor meets
    itself (anchor ``a * N + i`` is contrast column ``a * M + offset + i``).
    """
    rows = torch.arange(anchor_views * num, device=device)
    view, index = rows // num, rows % num
    is_self = torch.zeros(anchor_views * num, num_views * total,
                          dtype=torch.bool, device=device)
    is_self[rows, view * total + offset + index] = True
    return is_self
