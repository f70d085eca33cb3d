"""SCN, the Self-Cure Network of Wang et al.

"Suppressing Uncertainties for Large-Scale Facial Expression Recognition"
(CVPR 2020, https://arxiv.org/abs/2002.10392). On the pooled feature
``x_i`` of a ResNet trunk (MMPretrain's ``ResNet`` + ``GlobalAveragePooling``):

* self-attention importance weighting (Sec. 3.1): ``alpha_i =
  sigmoid(w_a^T x_i + b_a)``, one weight per image, multiplies the logits of
  the linear classifier; the loss is the logit-weighted cross-entropy
  (Eq. 2) ``L_WCE = -1/N sum_i log softmax(alpha_i (W x_i + b))_{y_i}``;
* rank regularisation (Sec. 3.2, Eq. 3): the batch's weights, sorted, split
  into the ``M = floor(beta N)`` highest and the ``N - M`` lowest;
  ``L_RR = max(0, delta_1 - (alpha_H - alpha_L))`` with ``alpha_H``/
  ``alpha_L`` the two groups' means, :class:`SCNRankLoss`;
* relabelling (Sec. 3.3, Eq. 5): a sample of the low-importance group whose
  largest predicted probability beats the probability of its given label
  by more than ``delta_2`` takes the predicted class as its new label,
  :func:`relabel_rule`.

The model is a plain ``ImageClassifier(backbone=ResNet,
neck=GlobalAveragePooling, head=SCNHead)``: it predicts like any MMPretrain
classifier (softmax of the weighted logits; ``alpha_i > 0`` scales one row
of logits, so the predicted label is that of the unweighted logits and a
checkpoint loaded into a plain ``LinearClsHead`` predicts the same labels).
Relabelling changes training labels, so the model only *proposes* the
changes: the head records them per batch and
:class:`~mmsde.engine.hooks.scn_relabel_hook.SCNRelabelHook` gathers them
across processes, writes them down and updates the dataset; the hook also
switches the proposals on from its start epoch (``SCNHead.relabel``).
"""
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

RELABEL_SCOPES = ('low_importance', 'all')


def high_importance_mask(alpha: torch.Tensor, ratio: float) -> torch.Tensor:
    """The high-importance group of a batch, `SCN
    <https://arxiv.org/abs/2002.10392>`_ (Sec. 3.2): the ``floor(ratio * N)``
    largest weights (the authors' ``int(batch_size * beta)``).

    Args:
        alpha: Importance weights, ``[N]``.
        ratio: ``beta``, the fraction of the batch in the high group.

    Returns:
        torch.Tensor: Bool mask ``[N]``, True for the high group; the low
        group is its complement.
    """
    num_high = int(alpha.numel() * ratio)
    mask = torch.zeros(alpha.numel(), dtype=torch.bool, device=alpha.device)
    if num_high > 0:
        mask[torch.topk(alpha.detach(), num_high).indices] = True
    return mask


@MODELS.register_module()
class SCNRankLoss(nn.Module):
    """Rank regularisation loss of `SCN <https://arxiv.org/abs/2002.10392>`_
    (Eq. 3)::

        L_RR = max(0, delta_1 - (mean(alpha_H) - mean(alpha_L)))

    ``alpha_H``: the ``floor(ratio * N)`` largest importance weights of the
    batch, ``alpha_L``: the others. 0 when either group is empty (a batch of
    one image).

    Args:
        margin: ``delta_1``. The paper's 0.15 is for batches of 1024; the
            authors recommend 0.07 for batches of 64. Defaults to 0.15.
        ratio: ``beta``, the fraction of the batch in the high-importance
            group. Defaults to 0.7.
        loss_weight: Multiplier of the loss. Defaults to 1.0 (the authors'
            ``CE + L_RR``).
    """

    def __init__(self, margin: float = 0.15, ratio: float = 0.7,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0.0 < ratio < 1.0:
            raise ValueError(f'SCNRankLoss: ratio must be in (0, 1), got '
                             f'{ratio!r}')
        if margin < 0:
            raise ValueError(f'SCNRankLoss: margin must be >= 0, got '
                             f'{margin!r}')
        self.margin = float(margin)
        self.ratio = float(ratio)
        self.loss_weight = float(loss_weight)

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        """The rank regularisation loss of one batch.

        Args:
            alpha: Importance weights, ``[N]`` (or ``[N, 1]``).

        Returns:
            torch.Tensor: The weighted scalar loss.
        """
        alpha = alpha.reshape(-1)
        high = high_importance_mask(alpha, self.ratio)
        if high.all() or not high.any():
            return alpha.sum() * 0.0
        gap = alpha[high].mean() - alpha[~high].mean()
        return self.loss_weight * F.relu(self.margin - gap)

    def extra_repr(self) -> str:
        return (f'margin={self.margin}, ratio={self.ratio}, '
                f'loss_weight={self.loss_weight}')


def relabel_rule(probs: torch.Tensor, labels: torch.Tensor,
                 high: torch.Tensor, margin: float = 0.2,
                 scope: str = 'low_importance'
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Which samples SCN relabels, `SCN <https://arxiv.org/abs/2002.10392>`_
    (Sec. 3.3, Eq. 5)::

        y'_i = argmax_j P_ij   if  max_j P_ij - P_{i, y_i} > delta_2
        y'_i = y_i             otherwise

    Args:
        probs: Predicted probabilities, ``[N, C]``.
        labels: Given labels, ``[N]``.
        high: The high-importance group, bool ``[N]``
            (:func:`high_importance_mask`).
        margin: ``delta_2``. Defaults to 0.2.
        scope: ``'low_importance'`` (the paper: only the low-importance
            group is relabelled) or ``'all'`` (the authors' code: the whole
            batch). Defaults to ``'low_importance'``.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: Bool mask ``[N]`` of the samples
        whose label changes (the rule holds; the new label differs from
        the given one), and the predicted labels ``[N]``.
    """
    if scope not in RELABEL_SCOPES:
        raise ValueError(f'relabel scope must be one of {RELABEL_SCOPES}, '
                         f'got {scope!r}')
    p_max, predicted = probs.max(dim=1)
    p_given = probs.gather(1, labels.view(-1, 1)).squeeze(1)
    change = (p_max - p_given > margin) & (predicted != labels)
    if scope == 'low_importance':
        change &= ~high
    return change, predicted


@MODELS.register_module()
class SCNHead(LinearClsHead):
    """Linear classifier with SCN's importance weighting, rank
    regularisation and relabelling proposals, `SCN
    <https://arxiv.org/abs/2002.10392>`_.

    ``forward`` returns the weighted logits ``alpha_i (W x_i + b)`` (the
    network's output in the paper and in the authors' code, in training and
    testing); ``loss`` returns, for the log:

    * ``loss``: cross-entropy of the weighted logits (Eq. 2) through
      ``loss`` (its ``loss_weight``);
    * ``loss_rank``: :class:`SCNRankLoss` of the weights;
    * ``importance_high`` / ``importance_low``: the two groups' mean weights
      (not losses: logged, not summed);
    * ``relabel_count``: the number of changes proposed (while
      ``relabel``).

    While ``relabel`` is True (set by ``SCNRelabelHook`` from its start
    epoch), each ``loss`` call records the changes :func:`relabel_rule`
    proposes for the batch; the hook collects them with
    :meth:`pop_relabel_candidates`. The batch's own loss still uses the
    given labels (a change takes effect when the hook applies it).

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the pooled feature (512 for ResNet-18).
        rank_loss: Config of the rank regularisation; its ``ratio``
            (``beta``) also defines the low-importance group that is
            relabelled. Defaults to ``SCNRankLoss(margin=0.15, ratio=0.7)``.
        relabel_margin: ``delta_2`` of the relabelling. Defaults to 0.2.
        relabel_scope: ``'low_importance'`` (the paper) or ``'all'`` (the
            authors' code). Defaults to ``'low_importance'``.
        **kwargs: :class:`LinearClsHead`'s ``loss``, ``topk``, ``cal_acc``
            and ``init_cfg`` (which also initialises the attention layer).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 rank_loss: Union[dict, nn.Module] = dict(
                     type='SCNRankLoss', margin=0.15, ratio=0.7,
                     loss_weight=1.0),
                 relabel_margin: float = 0.2,
                 relabel_scope: str = 'low_importance',
                 **kwargs) -> None:
        super().__init__(num_classes=num_classes, in_channels=in_channels,
                         **kwargs)
        if relabel_scope not in RELABEL_SCOPES:
            raise ValueError(f'SCNHead: relabel_scope must be one of '
                             f'{RELABEL_SCOPES}, got {relabel_scope!r}')
        self.attention = nn.Sequential(nn.Linear(in_channels, 1),
                                       nn.Sigmoid())
        self.rank_loss = (rank_loss if isinstance(rank_loss, nn.Module) else
                          MODELS.build(rank_loss))
        if not hasattr(self.rank_loss, 'ratio'):
            raise TypeError('SCNHead: rank_loss needs a ratio (the '
                            'high-importance fraction), got '
                            f'{type(self.rank_loss).__name__}')
        self.relabel_margin = float(relabel_margin)
        self.relabel_scope = relabel_scope
        #: Propose label changes; set by SCNRelabelHook.
        self.relabel = False
        self._candidates: List[dict] = []

    def importance(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The importance weights ``alpha``, ``[N]``, Eq. 1."""
        return self.attention(self.pre_logits(feats)).squeeze(1)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The weighted logits ``alpha_i (W x_i + b)``, ``[N, C]``."""
        return self._weighted_logits(self.pre_logits(feats))[1]

    def _weighted_logits(self, x: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
        alpha = self.attention(x)
        return alpha.squeeze(1), alpha * self.fc(x)

    def loss(self, feats: Tuple[torch.Tensor],
             data_samples: List[DataSample], **kwargs) -> dict:
        """Weighted cross-entropy and rank regularisation, `SCN
        <https://arxiv.org/abs/2002.10392>`_ (Eqs. 2-4); records the
        relabelling proposals while ``relabel``.

        Args:
            feats: Backbone/neck outputs; the last is the pooled feature.
            data_samples: The batch's samples (``gt_label``; ``sample_idx``
                and ``img_path`` identify relabelled samples).
            **kwargs: Passed to the cross-entropy.

        Returns:
            dict[str, torch.Tensor]: See the class docstring.
        """
        alpha, logits = self._weighted_logits(self.pre_logits(feats))
        losses = self._get_loss(logits, data_samples, **kwargs)
        losses['loss_rank'] = self.rank_loss(alpha)
        high = high_importance_mask(alpha, self.rank_loss.ratio)
        detached = alpha.detach()
        if high.any():
            losses['importance_high'] = detached[high].mean()
        if (~high).any():
            losses['importance_low'] = detached[~high].mean()
        if self.relabel:
            found = self._propose_relabels(logits.detach(), high,
                                           data_samples)
            losses['relabel_count'] = logits.new_tensor(float(found))
        return losses

    def _propose_relabels(self, logits: torch.Tensor, high: torch.Tensor,
                          data_samples: Sequence[DataSample]) -> int:
        """Record the changes :func:`relabel_rule` proposes for a batch."""
        if 'gt_score' in data_samples[0]:
            raise ValueError(
                'SCNHead: relabelling needs hard labels, but the batch has '
                'gt_score (batch augmentations such as Mixup/CutMix): drop '
                'train_cfg.augments or SCNRelabelHook')
        labels = torch.cat([s.gt_label for s in data_samples]).to(
            logits.device)
        probs = logits.float().softmax(dim=1)
        change, predicted = relabel_rule(probs, labels, high,
                                         self.relabel_margin,
                                         self.relabel_scope)
        for i in change.nonzero().flatten().tolist():
            self._candidates.append(
                candidate_record(data_samples[i], int(labels[i]),
                                 int(predicted[i]), probs[i]))
        return int(change.sum())

    def pop_relabel_candidates(self) -> List[dict]:
        """The changes proposed since the last call, and forget them."""
        candidates, self._candidates = self._candidates, []
        return candidates


def candidate_record(sample: DataSample, old: int, new: int,
                     probs: torch.Tensor) -> Dict:
    """One proposed label change: the sample (``sample_idx``, and
    ``img_path``, ``pair_id``, ``masked`` when packed), the old and new
    label and their probabilities."""
    if 'sample_idx' not in sample:
        raise KeyError(
            "SCNHead: relabelling needs each sample's 'sample_idx' (the "
            'dataset index): keep it in PackInputs(meta_keys=...)')
    record = dict(sample_idx=int(sample.sample_idx))
    for key in ('img_path', 'pair_id', 'masked'):
        if key in sample:
            value = sample.get(key)
            record[key] = value if isinstance(value, (str, bool)) else (
                value.tolist() if hasattr(value, 'tolist') else value)
    record.update(old=old, new=new, p_old=round(float(probs[old]), 4),
                  p_new=round(float(probs[new]), 4))
    return record
