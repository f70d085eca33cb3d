"""Supervised contrastive learning with masked and non-masked views."""
from typing import List, Union

import torch
import torch.nn as nn
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .utils import (PreprocessorCfg, build_module, paired_preprocessor,
                    split_views, suffix_losses)

STAGES = ('joint', 'pretrain')


@MODELS.register_module()
class SupConClassifier(ImageClassifier):
    """Encoder + projection head trained with `SupCon
    <https://arxiv.org/abs/2004.11362>`_, plus a linear classifier.

    The views of a sample (for MSD-E the non-masked and the masked image of
    a pair, `arXiv:2304.03867 <https://arxiv.org/abs/2304.03867>`_) go
    through the encoder (backbone + neck) as one batch; the projector maps
    the pooled features to the contrastive space (``SupConLoss`` normalises
    them) where all images of one expression are positives, including the
    two views of a pair.

    - ``stage='joint'``: ``loss_cls`` (the head's cross-entropy over all
      views) + ``loss_supcon`` (weighted by ``contrast_loss.loss_weight``,
      the ``lambda`` of the joint objective).
    - ``stage='pretrain'``: ``loss_supcon`` only (stage 1 of the two-stage
      recipe); the head gets no gradient (its parameters are frozen, so DDP
      sees no unused parameters). Stage 2 trains a linear classifier on the
      frozen backbone as a plain ``ImageClassifier``.

    ``contrast_scale`` (1 unless :class:`LossWarmupHook` ramps it, e.g.
    ``scale_name='contrast_scale'``) multiplies ``loss_supcon``.

    ``predict`` is :class:`ImageClassifier`'s; the projector is the only
    extra module, so checkpoints load into an ``ImageClassifier`` with
    ``strict=False`` (unexpected keys ``projector.*``).

    Args:
        projector: Projection head config, e.g. MMPretrain's
            ``NonLinearNeck`` 512 -> 512 -> 128 with ``with_avg_pool=False``
            on the neck's pooled features.
        contrast_loss: Config of the contrastive loss.
        stage: ``'joint'`` or ``'pretrain'``.
        data_preprocessor: Defaults to ``PairedClsDataPreprocessor``.
        **kwargs: :class:`ImageClassifier`'s ``backbone``, ``neck``,
            ``head``, ``pretrained``, ``train_cfg`` and ``init_cfg``.
    """

    def __init__(self,
                 projector: Union[dict, nn.Module],
                 contrast_loss: Union[dict, nn.Module] = dict(
                     type='SupConLoss', temperature=0.1, loss_weight=1.0),
                 stage: str = 'joint',
                 data_preprocessor: PreprocessorCfg = None,
                 **kwargs) -> None:
        if stage not in STAGES:
            raise ValueError(f'SupConClassifier: stage must be one of '
                             f'{STAGES}, got {stage!r}')
        super().__init__(
            data_preprocessor=paired_preprocessor(data_preprocessor),
            **kwargs)
        self.projector = build_module(projector)
        self.contrast_loss = build_module(contrast_loss)
        self.stage = stage
        self.contrast_scale = 1.0
        if stage == 'pretrain' and self.with_head:
            self.head.requires_grad_(False)

    def project(self, feats: tuple) -> torch.Tensor:
        """Embeddings in the contrastive space (not yet normalised), `SupCon
        <https://arxiv.org/abs/2004.11362>`_.

        Args:
            feats: The encoder's (neck's) output.

        Returns:
            torch.Tensor: ``[B, D]`` projections.
        """
        z = self.projector(feats)
        return z[-1] if isinstance(z, (tuple, list)) else z

    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: List[DataSample]) -> dict:
        """SupCon over all views, plus cross-entropy in the joint stage,
        `SupCon <https://arxiv.org/abs/2004.11362>`_.

        Args:
            inputs: ``[batch_view0, batch_view1, ...]`` (e.g.
                ``[batch_nm, batch_m]``), or one ``[B, C, H, W]`` batch
                (a single view; positives are then other images of the
                same label only).
            data_samples: One sample per multi-view sample (its
                ``gt_label``).

        Returns:
            dict[str, torch.Tensor]: ``loss_supcon``, and ``loss_cls`` for
            ``stage='joint'``.
        """
        views = split_views(inputs, type(self).__name__)
        num_views, batch = len(views), views[0].size(0)
        feats = self.extract_feat(torch.cat(views))
        z = self.project(feats).view(num_views, batch, -1).transpose(0, 1)
        labels = torch.cat([sample.gt_label for sample in data_samples])
        losses = dict(
            loss_supcon=self.contrast_scale * self.contrast_loss(z, labels))
        if self.stage == 'joint':
            losses.update(
                suffix_losses(
                    self.head.loss(feats, list(data_samples) * num_views),
                    'cls'))
        return losses
