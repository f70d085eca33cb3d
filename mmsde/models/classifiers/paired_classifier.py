"""The MSD-E authors' paired ("contrastive") Siamese training scheme."""
from typing import List, Union

import torch
import torch.nn as nn
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .utils import (PreprocessorCfg, build_module, paired_preprocessor,
                    split_views, suffix_losses)


@MODELS.register_module()
class PairedClassifier(ImageClassifier):
    """Shared-weight (Siamese) classifier trained on ``[non_masked, masked]``
    image pairs, the paired scheme of `MSD-E
    <https://arxiv.org/abs/2304.03867>`_::

        loss = alpha * PairedFeatureLoss(map_nm, map_m) + beta * (CE_nm + CE_m)

    ``map`` is the last backbone output (ResNet's layer4 map); ``alpha`` is
    the ``loss_weight`` of ``paired_loss`` and ``beta`` that of the head's
    own loss (``head.loss``), so the cross-entropy keeps the head's single
    softmax. The two images of each pair go through the backbone as one
    batch of ``2B`` images (batch-norm statistics over both kinds of face,
    as at test time). Logged as ``loss_cls_non_masked``,
    ``loss_cls_masked`` and ``loss_paired``.

    ``predict`` and ``forward(mode='tensor')`` are :class:`ImageClassifier`'s
    on single images, and the state dict holds only backbone, neck and head:
    checkpoints load into a plain ``ImageClassifier``.

    Args:
        paired_loss: Config of the feature loss between the two maps;
            its ``loss_weight`` is ``alpha``.
        data_preprocessor: Defaults to ``PairedClsDataPreprocessor``.
        **kwargs: :class:`ImageClassifier`'s ``backbone``, ``neck``,
            ``head`` (its ``loss.loss_weight`` is ``beta``), ``pretrained``,
            ``train_cfg`` (batch augmentations are refused for pairs) and
            ``init_cfg``.
    """

    def __init__(self,
                 paired_loss: Union[dict, nn.Module] = dict(
                     type='PairedFeatureLoss', loss_weight=1.0),
                 data_preprocessor: PreprocessorCfg = None,
                 **kwargs) -> None:
        super().__init__(
            data_preprocessor=paired_preprocessor(data_preprocessor),
            **kwargs)
        self.paired_loss = build_module(paired_loss)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """Paired feature loss plus cross-entropy on both images, `MSD-E
        <https://arxiv.org/abs/2304.03867>`_.

        Args:
            inputs: ``[batch_non_masked, batch_masked]``, each
                ``[B, C, H, W]``.
            data_samples: One sample per pair (its ``gt_label``).

        Returns:
            dict[str, torch.Tensor]: ``loss_cls_non_masked``,
            ``loss_cls_masked`` and ``loss_paired`` (plus the head's other
            outputs, e.g. accuracy, with the same suffixes).
        """
        non_masked, masked = split_views(inputs, type(self).__name__, 2)
        maps = self.extract_feat(
            torch.cat([non_masked, masked]), stage='backbone')
        feats = self.neck(maps) if self.with_neck else maps
        halves = [f.chunk(2) for f in feats]
        feats_nm = tuple(h[0] for h in halves)
        feats_m = tuple(h[1] for h in halves)

        losses = suffix_losses(
            self.head.loss(feats_nm, data_samples), 'cls_non_masked')
        losses.update(
            suffix_losses(self.head.loss(feats_m, data_samples),
                          'cls_masked'))
        map_nm, map_m = maps[-1].chunk(2)
        losses['loss_paired'] = self.paired_loss(map_nm, map_m)
        return losses
