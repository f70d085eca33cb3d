"""Supervised contrastive loss (Khosla et al., NeurIPS 2020)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, all_reduce, get_dist_info
from mmpretrain.registry import MODELS

from ..utils import all_gather_with_grad

CONTRAST_MODES = ('all', 'one')
CROSS_VIEW = ('label', 'twin')


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

    Cross-batch memory (``memory_size > 0``, `XBM
    <https://arxiv.org/abs/1912.06798>`_): the normalised projections and
    labels of the last ``memory_size`` views seen in training are kept
    (without gradient) and contrasted too, as positives of the anchors of
    their label and negatives of the others (negatives only without
    labels). With a small batch an anchor then meets many positives at each
    step, instead of the few of its own batch; the memory is refilled after
    each training step (it is not saved in checkpoints, and an empty memory
    is the plain loss). In distributed training every rank stores the
    gathered batch, so the memories stay equal. Explicit ``mask`` cannot be
    combined with it.

    Twins (``exclude_twins=True``): the other views of an anchor's own
    sample are left out of its positives and of its contrast, so only
    other samples of its label are positives. When the views share more
    than the label (a face and its masked copy share the identity), the
    twin can be matched by that alone; excluded, it gives no such
    shortcut. Needs labels or a mask (else no anchor has a positive).

    Across views (``cross_view='twin'``): a view of another sample is a
    positive only in the anchor's own view; across views only the twin is,
    and the other views of the anchor's label are left out of its contrast
    (neither pulled nor pushed). Each view then groups by label on its
    own, and the views are tied by the twins alone (e.g. a masked face is
    not pulled towards the non-masked faces of its expression, whose
    mouths the mask hides). The memory keeps each view's index for this.

    Args:
        temperature: Temperature ``T`` of the softmax.
        base_temperature: ``T_base``; the loss is scaled by
            ``T / T_base``.
        contrast_mode: ``'all'`` (every view is an anchor) or ``'one'``
            (only the first view of each sample is an anchor; all views are
            contrasted).
        loss_weight: Weight of the loss.
        gather_distributed: Contrast against the samples of all ranks.
        memory_size: Views kept in the cross-batch memory; 0 disables it.
        exclude_twins: Leave the other views of an anchor's sample out of
            its positives and contrast.
        cross_view: Positives in other views: ``'label'`` (all of the
            label) or ``'twin'`` (the anchor's own sample only).
    """

    def __init__(self,
                 temperature: float = 0.07,
                 base_temperature: float = 0.07,
                 contrast_mode: str = 'all',
                 loss_weight: float = 1.0,
                 gather_distributed: bool = True,
                 memory_size: int = 0,
                 exclude_twins: bool = False,
                 cross_view: str = 'label') -> None:
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
        if memory_size < 0:
            raise ValueError(f'SupConLoss: memory_size must be >= 0, got '
                             f'{memory_size}')
        self.memory_size = memory_size
        self.exclude_twins = exclude_twins
        if cross_view not in CROSS_VIEW:
            raise ValueError(f'SupConLoss: cross_view must be one of '
                             f'{CROSS_VIEW}, got {cross_view!r}')
        self.cross_view = cross_view
        self.register_buffer('memory', torch.zeros(0), persistent=False)
        self.register_buffer('memory_labels', torch.zeros(0, dtype=torch.long),
                             persistent=False)
        self.register_buffer('memory_views', torch.zeros(0, dtype=torch.long),
                             persistent=False)

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
        if self.memory_size and mask is not None:
            raise ValueError('SupConLoss: an explicit mask cannot be '
                             'combined with the cross-batch memory')
        if features.size(1) == 1 and labels is None and mask is None:
            raise ValueError(
                f'SupConLoss: single-view features {tuple(features.shape)} '
                'without labels or mask have no positives; pass labels, '
                'a mask, or [N, V, D] features with V >= 2')
        if self.exclude_twins and labels is None and mask is None:
            raise ValueError('SupConLoss: exclude_twins needs labels or a '
                             'mask (without them a twin is the only '
                             'positive)')
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
        positives, all_labels = self._positive_mask(labels, mask, num, total,
                                                    rank, z.device)
        positives = positives.to(dtype)

        # contrast: every view of every sample, view-major: w * total + j
        contrast = z_all.transpose(0, 1).reshape(num_views * total, -1)
        anchor_views = num_views if self.contrast_mode == 'all' else 1
        anchors = z[:, :anchor_views].transpose(0, 1).reshape(
            anchor_views * num, -1)
        own_views = num_views if self.exclude_twins else 1
        if contrast.size(0) <= own_views:  # nothing to contrast with
            return z.sum() * 0.

        excluded = _excluded_mask(anchor_views, num, total, num_views,
                                  rank * num, z.device, self.exclude_twins)
        positives = positives.repeat(anchor_views, num_views)
        positives = positives.masked_fill(excluded, 0.)
        anchor_view = torch.arange(anchor_views * num, device=z.device) // num
        if self.cross_view == 'twin':
            own = excluded if self.exclude_twins else _excluded_mask(
                anchor_views, num, total, num_views, rank * num, z.device,
                with_twins=True)
            column_view = torch.arange(num_views * total,
                                       device=z.device) // total
            hidden = (positives > 0) & ~own & (
                anchor_view[:, None] != column_view[None, :])
            positives = positives.masked_fill(hidden, 0.)
            excluded = excluded | hidden
        logits = anchors @ contrast.T
        if self.memory.numel():  # past views: more contrast, more positives
            if self.memory.size(1) != z.size(-1):
                raise ValueError(
                    f'SupConLoss: features of dimension {z.size(-1)} do not '
                    f'fit the memory of dimension {self.memory.size(1)}')
            logits = torch.cat([logits, anchors @ self.memory.to(dtype).T], 1)
            local = all_labels[rank * num:(rank + 1) * num, None]
            remembered = (local == self.memory_labels[None, :]).repeat(
                anchor_views, 1)
            hidden = torch.zeros_like(remembered)
            if self.cross_view == 'twin':
                hidden = remembered & (
                    anchor_view[:, None] != self.memory_views[None, :])
            excluded = torch.cat([excluded, hidden], dim=1)
            positives = torch.cat(
                [positives, (remembered & ~hidden).to(dtype)], dim=1)
        if self.memory_size and self.training:
            # without labels, remembered views are negatives only (-1)
            keys = all_labels if labels is not None else torch.full_like(
                all_labels, -1)
            view_index = torch.arange(num_views, device=z.device)
            self._remember(contrast.detach(), keys.repeat(num_views),
                           view_index.repeat_interleave(total))
        logits = logits / self.temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()
        log_prob = logits - torch.logsumexp(
            logits.masked_fill(excluded, float('-inf')), dim=1, keepdim=True)

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
                       rank: int, device: torch.device
                       ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``[N, M]`` positive weights of local vs. global samples, and the
        labels of the global samples (None with an explicit mask)."""
        if mask is not None:
            if tuple(mask.shape) != (num, total):
                raise ValueError(
                    f'SupConLoss: mask must have shape (N, M) = '
                    f'({num}, {total}) (local x all-rank samples), got '
                    f'{tuple(mask.shape)}')
            return mask.to(device), None
        if labels is None:  # SimCLR: each sample is its own class
            labels = torch.arange(num, device=device) + rank * num
        labels = labels.reshape(-1).to(device)
        if labels.numel() != num:
            raise ValueError(f'SupConLoss: {labels.numel()} labels for '
                             f'{num} samples')
        all_labels = labels
        if total != num:
            all_labels = torch.cat(all_gather(labels.contiguous()))
        return labels[:, None] == all_labels[None, :], all_labels

    @torch.no_grad()
    def _remember(self, views: torch.Tensor, labels: torch.Tensor,
                  view_index: torch.Tensor) -> None:
        """Put the batch's normalised views (view-major, all ranks), their
        labels and view indices in front of the memory and keep the newest
        ``memory_size``."""
        if self.memory.numel():
            views = torch.cat([views, self.memory.to(views.dtype)])
            labels = torch.cat([labels, self.memory_labels])
            view_index = torch.cat([view_index, self.memory_views])
        self.memory = views[:self.memory_size].float()
        self.memory_labels = labels[:self.memory_size]
        self.memory_views = view_index[:self.memory_size]


def _as_views(features: torch.Tensor) -> torch.Tensor:
    """``[N, V, D]`` from ``[N, V, D]`` or ``[N, D]`` features."""
    if features.dim() == 2:
        return features.unsqueeze(1)
    if features.dim() != 3:
        raise ValueError(f'SupConLoss: features must be [N, V, D] or '
                         f'[N, D], got shape {tuple(features.shape)}')
    return features


def _excluded_mask(anchor_views: int, num: int, total: int,
                   num_views: int, offset: int, device: torch.device,
                   with_twins: bool = False) -> torch.Tensor:
    """``[anchor_views * N, num_views * M]``: True where an anchor meets
    itself (anchor ``a * N + i`` is contrast column ``a * M + offset + i``)
    and, ``with_twins``, the other views of its sample (columns
    ``w * M + offset + i``).
    """
    rows = torch.arange(anchor_views * num, device=device)
    view, index = rows // num, rows % num
    excluded = torch.zeros(anchor_views * num, num_views * total,
                           dtype=torch.bool, device=device)
    for column_view in range(num_views) if with_twins else [view]:
        excluded[rows, column_view * total + offset + index] = True
    return excluded
