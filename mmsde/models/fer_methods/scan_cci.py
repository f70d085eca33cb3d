"""SCAN-CCI, `Gera & Balasubramanian 2020
<https://arxiv.org/abs/2007.10298>`_ ("Landmark guidance independent
spatio-channel attention and complementary context information based facial
expression recognition"), as an MMPretrain classification head.

The model is a stock ``ImageClassifier``: a ResNet truncated after layer3
that gives its layer2 and layer3 maps (``num_stages=3, out_indices=(1,
2)``), no neck, and :class:`SCANCCIHead`. The attention branch (SCAN) reads
the layer2 map, the context branch (CCI) the layer3 map, as in the authors'
code. Predictions, ``tools/test.py``, Grad-CAM (on layer3, the last stage)
and the inferencer then work as for any ``ImageClassifier``.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .scan_cci_modules import CCIBranch, SCANBranch

NUM_REGIONS = 4


@MODELS.register_module()
class SCANCCIHead(ClsHead):
    """The SCAN and CCI branches and their losses, `SCAN-CCI
    <https://arxiv.org/abs/2007.10298>`_.

    From the backbone's last two maps ``X`` (mid-level, e.g. ResNet layer2)
    and ``Y`` (deeper, layer3) it computes five logit sets: ``z_0`` of
    the attention branch (:class:`SCANBranch` on ``X``) and ``z_1..z_4`` of
    the four regions (:class:`CCIBranch` on ``Y``). Training minimises::

        L = w_att * CE(z_0, y) + w_reg * sum_{r=1..4} CE(z_r, y)

    with ``w_att = 0.2`` (``loss.loss_weight``) and ``w_reg = 0.8``
    (``region_loss.loss_weight``), the authors' ``att_wt`` and
    ``1 - att_wt``. The prediction is the mean of the five *logit* sets,
    ``(z_0 + ... + z_4) / 5`` (then softmax for ``pred_score``), as the
    authors average the logits before the arg-max.

    Logged as ``loss_att`` and ``loss_cci`` (already weighted).

    Args:
        num_classes: Number of classes.
        in_channels: Channels of ``(X, Y)``; ResNet-18's layer2 and layer3
            give ``(128, 256)``, ResNet-50's ``(512, 1024)``.
        patch_size: Side of a SCAN local patch in cells of ``X`` (6 on the
            28x28 maps of 224 px inputs: 25 patches, as the authors).
        reduction: Hidden width divisor of the CCI region MLP.
        eca_kernel_size: Kernel of the CCI's efficient channel attention.
        loss: Cross-entropy of the attention branch; its ``loss_weight``
            is ``w_att``.
        region_loss: Cross-entropy of each region; its ``loss_weight`` is
            ``w_reg``.
        topk: Top-k accuracy (``cal_acc``).
        cal_acc: Log the training accuracy of the averaged logits.
        init_cfg: MMEngine initialisation config (default: PyTorch's, as
            the authors).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 patch_size: int = 6,
                 reduction: int = 4,
                 eca_kernel_size: int = 5,
                 loss: Union[dict, nn.Module] = dict(
                     type='CrossEntropyLoss', loss_weight=0.2),
                 region_loss: Union[dict, nn.Module] = dict(
                     type='CrossEntropyLoss', loss_weight=0.8),
                 topk: Union[int, Tuple[int]] = (1, ),
                 cal_acc: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc,
                         init_cfg=init_cfg)
        if len(in_channels) != 2:
            raise ValueError(
                f'{type(self).__name__}: in_channels must give the channels '
                f'of the attention and the context maps, got {in_channels}')
        self.num_classes = num_classes
        self.in_channels = tuple(in_channels)
        self.region_loss = (region_loss if isinstance(region_loss, nn.Module)
                            else MODELS.build(region_loss))
        self.scan = SCANBranch(in_channels[0], num_classes, patch_size)
        self.cci = CCIBranch(in_channels[1], num_classes, reduction,
                             eca_kernel_size)

    def _maps(self, feats: Sequence[torch.Tensor]
              ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(X, Y)``: the last two backbone outputs, channels checked."""
        if len(feats) < 2:
            raise ValueError(
                f'{type(self).__name__} needs two backbone maps (e.g. ResNet '
                f'out_indices=(1, 2)), got {len(feats)}')
        maps = tuple(feats[-2:])
        got = tuple(m.shape[1] for m in maps)
        if got != self.in_channels:
            raise ValueError(f'{type(self).__name__}: in_channels is '
                             f'{self.in_channels} but the maps have {got}')
        return maps

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The SCAN descriptor ``[B, 2 * C_X]`` (L2-normalised local and
        global attended features), the embedding for t-SNE."""
        return self.scan.descriptor(self._maps(feats)[0])

    def branch_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The five logit sets.

        Args:
            feats: Backbone outputs; the last two are ``X`` and ``Y``.

        Returns:
            torch.Tensor: ``[B, 5, num_classes]``: the attention branch,
            then the regions top-left, top-right, bottom-left, bottom-right.
        """
        x, y = self._maps(feats)
        return torch.cat([self.scan(x).unsqueeze(1), self.cci(y)], dim=1)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Returns: ``[B, num_classes]`` mean of the five logit sets."""
        return self.branch_logits(feats).mean(dim=1)

    def loss(self, feats: Sequence[torch.Tensor],
             data_samples: List[DataSample], **kwargs) -> dict:
        """``w_att * CE(z_0) + w_reg * sum_r CE(z_r)``, `SCAN-CCI
        <https://arxiv.org/abs/2007.10298>`_.

        Args:
            feats: Backbone outputs.
            data_samples: Their ``gt_label`` (or ``gt_score``).
            **kwargs: Passed to the loss modules.

        Returns:
            dict[str, torch.Tensor]: ``loss_att``, ``loss_cci`` and, with
            ``cal_acc``, ``accuracy_top-k`` of the averaged logits.
        """
        logits = self.branch_logits(feats)
        if 'gt_score' in data_samples[0]:
            target = torch.stack([s.gt_score for s in data_samples])
        else:
            target = torch.cat([s.gt_label for s in data_samples])
        batch = logits.size(0)
        losses = dict(
            loss_att=self.loss_module(
                logits[:, 0], target, avg_factor=batch, **kwargs),
            loss_cci=sum(
                self.region_loss(logits[:, 1 + r], target, avg_factor=batch,
                                 **kwargs) for r in range(NUM_REGIONS)))
        if self.cal_acc:
            acc = Accuracy.calculate(logits.mean(dim=1), target,
                                     topk=self.topk)
            losses.update(
                {f'accuracy_top-{k}': a for k, a in zip(self.topk, acc)})
        return losses
