"""DAN, the Distract your Attention Network of Wen et al.

"Distract Your Attention: Multi-head Cross Attention Network for Facial
Expression Recognition" (https://arxiv.org/abs/2109.07270). On a ResNet
trunk (MMPretrain's ``ResNet``, layer4 map ``[B, 512, 7, 7]`` at 224 px):

* the Multi-head cross Attention Network (MAN): ``K`` heads, each a spatial
  attention (a ``1x1`` then summed ``3x3``, ``1x3`` and ``3x1`` convolutions,
  their channels summed to one non-negative map that scales the input)
  followed by a channel attention (squeeze-excitation weights in ``(0, 1)``
  on the pooled features), :class:`MultiHeadCrossAttentionNeck`;
* the Attention Fusion Network (AFN): the head outputs log-softmaxed across
  the heads, summed, and classified by ``fc`` + ``BatchNorm1d``,
  :class:`DANHead`;
* the losses: cross-entropy, the Feature Clustering Network's
  :class:`AffinityLoss` on the pooled trunk features and the
  :class:`PartitionLoss` on the head outputs.

The model is a plain ``ImageClassifier(backbone=ResNet,
neck=MultiHeadCrossAttentionNeck, head=DANHead)``: it predicts like any
MMPretrain classifier.
"""
import sys
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

# the authors' ``eps`` of the partition loss (``sys.float_info.epsilon``)
FLOAT_EPS = sys.float_info.epsilon

DAN_ATTENTION_INIT = [
    dict(type='Kaiming', layer='Conv2d', mode='fan_out'),
    dict(type='Normal', layer='Linear', std=0.001, bias=0.),
    dict(type='Constant', layer=['_BatchNorm'], val=1., bias=0.),
]


class SpatialAttention(BaseModule):
    """A DAN head's spatial attention, `DAN
    <https://arxiv.org/abs/2109.07270>`_ (Sec. 3.2)::

        y = ReLU(conv3x3(u) + conv1x3(u) + conv3x1(u)),  u = conv1x1(x)
        a = sum_c y_c        (one [B, 1, H, W] map, >= 0)
        out = x * a

    every convolution followed by batch norm.

    Args:
        in_channels: Channels of the trunk map (512 for ResNet-18).
        mid_channels: Output channels of the ``1x1`` reduction (256).
        norm_cfg: Normalisation after each convolution.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, in_channels: int = 512, mid_channels: int = 256,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.reduce = ConvModule(in_channels, mid_channels, 1,
                                 norm_cfg=norm_cfg, act_cfg=None)
        self.conv_3x3 = ConvModule(mid_channels, in_channels, 3, padding=1,
                                   norm_cfg=norm_cfg, act_cfg=None)
        self.conv_1x3 = ConvModule(mid_channels, in_channels, (1, 3),
                                   padding=(0, 1), norm_cfg=norm_cfg,
                                   act_cfg=None)
        self.conv_3x1 = ConvModule(mid_channels, in_channels, (3, 1),
                                   padding=(1, 0), norm_cfg=norm_cfg,
                                   act_cfg=None)

    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """The non-negative spatial map ``a``.

        Args:
            x: ``[B, C, H, W]`` trunk map.

        Returns:
            torch.Tensor: ``[B, 1, H, W]``.
        """
        u = self.reduce(x)
        y = F.relu(self.conv_3x3(u) + self.conv_1x3(u) + self.conv_3x1(u))
        return y.sum(dim=1, keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x * a``, ``[B, C, H, W]``."""
        return x * self.attention_map(x)


class ChannelAttention(BaseModule):
    """A DAN head's channel attention, `DAN
    <https://arxiv.org/abs/2109.07270>`_ (Sec. 3.2)::

        s = GAP(x)
        w = sigmoid(W2 ReLU(BN(W1 s)))      (in (0, 1))
        out = s * w

    Args:
        in_channels: Channels of the input (512).
        hidden_channels: Width of the bottleneck (32).
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, in_channels: int = 512, hidden_channels: int = 32,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.bn = nn.BatchNorm1d(hidden_channels)
        self.fc2 = nn.Linear(hidden_channels, in_channels)

    def weights(self, pooled: torch.Tensor) -> torch.Tensor:
        """The channel weights ``w`` of pooled features.

        Args:
            pooled: ``[B, C]``.

        Returns:
            torch.Tensor: ``[B, C]`` in ``(0, 1)``.
        """
        return torch.sigmoid(self.fc2(F.relu(self.bn(self.fc1(pooled)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``GAP(x) * w``, ``[B, C]`` from a ``[B, C, H, W]`` map."""
        pooled = x.mean(dim=(2, 3))
        return pooled * self.weights(pooled)


class CrossAttentionHead(BaseModule):
    """One attention head of DAN's MAN: :class:`SpatialAttention` then
    :class:`ChannelAttention`, `DAN <https://arxiv.org/abs/2109.07270>`_.

    Args:
        in_channels: Channels of the trunk map.
        mid_channels: Spatial attention's reduction width.
        hidden_channels: Channel attention's bottleneck width.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, in_channels: int = 512, mid_channels: int = 256,
                 hidden_channels: int = 32,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.spatial = SpatialAttention(in_channels, mid_channels)
        self.channel = ChannelAttention(in_channels, hidden_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C]`` attended features of a ``[B, C, H, W]`` map."""
        return self.channel(self.spatial(x))


@MODELS.register_module()
class MultiHeadCrossAttentionNeck(BaseModule):
    """DAN's multi-head cross attention (MAN) and the attention fusion's
    log-softmax across heads (AFN), `DAN <https://arxiv.org/abs/2109.07270>`_.

    With ``K`` heads giving ``h_k`` (``[B, C]`` each), the AFN scales them
    to ``log_softmax_k(h_1..h_K)`` per sample and channel (left as they are
    when ``K == 1``), and :class:`DANHead` sums them. The trunk's map is
    also returned pooled, for the :class:`AffinityLoss`.

    Args:
        in_channels: Channels of the last trunk map (512 for ResNet-18).
        num_heads: Number of attention heads ``K`` (4).
        mid_channels: Spatial attention's reduction width (256).
        hidden_channels: Channel attention's bottleneck width (32).
        init_cfg: MMEngine initialisation; defaults to the authors' (Kaiming
            fan-out convolutions, ``N(0, 0.001)`` linear layers).
    """

    def __init__(self, in_channels: int = 512, num_heads: int = 4,
                 mid_channels: int = 256, hidden_channels: int = 32,
                 init_cfg: Optional[Union[dict, List[dict]]] =
                 DAN_ATTENTION_INIT) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_heads < 1:
            raise ValueError(f'{type(self).__name__}: num_heads must be at '
                             f'least 1, got num_heads={num_heads}')
        self.num_heads = num_heads
        self.heads = nn.ModuleList(
            CrossAttentionHead(in_channels, mid_channels, hidden_channels)
            for _ in range(num_heads))

    def forward(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend with every head and fuse their scales.

        Args:
            inputs: The backbone's outputs (the last one, ``[B, C, H, W]``,
                is used) or one map.

        Returns:
            tuple: ``(pooled, heads)``: the trunk map's global average
            ``[B, C]`` and the (log-softmaxed) head outputs ``[B, K, C]``.
        """
        x = inputs if isinstance(inputs, torch.Tensor) else inputs[-1]
        heads = torch.stack([head(x) for head in self.heads], dim=1)
        if self.num_heads > 1:
            heads = F.log_softmax(heads, dim=1)
        return x.mean(dim=(2, 3)), heads


@MODELS.register_module()
class AffinityLoss(nn.Module):
    """DAN's affinity loss (the Feature Clustering Network), `DAN
    <https://arxiv.org/abs/2109.07270>`_, Eq. (2)::

        L_af = 1/B sum_i ||x_i - c_{y_i}||^2 / sigma_c^2

    with learnable class centres ``c`` (``num_classes x feat_dim``, drawn
    from ``N(0, 1)`` as in the authors' code) and
    ``sigma_c^2 = sum_d Var_k(c_kd)``, the variance among the centres
    (unbiased, over classes, summed over dimensions): features are pulled
    to their centre while the centres are pushed apart.

    Args:
        num_classes: Number of classes (one centre each).
        feat_dim: Feature length.
        loss_weight: Weight of the loss.
    """

    def __init__(self, num_classes: int, feat_dim: int = 512,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f'{type(self).__name__}: the centre variance '
                             f'needs num_classes >= 2, got {num_classes}')
        self.loss_weight = loss_weight
        self.centers = nn.Parameter(torch.randn(num_classes, feat_dim))

    def forward(self, feats: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Compute the loss, `DAN <https://arxiv.org/abs/2109.07270>`_.

        Args:
            feats: ``[B, D]`` features (``[B, D, H, W]`` maps are pooled).
            target: ``[B]`` class indices.

        Returns:
            torch.Tensor: The scalar loss times ``loss_weight``.
        """
        if feats.dim() == 4:
            feats = feats.mean(dim=(2, 3))
        if feats.shape[-1] != self.centers.shape[1]:
            raise ValueError(
                f'{type(self).__name__}: features of length '
                f'{feats.shape[-1]}, centres of feat_dim '
                f'{self.centers.shape[1]}')
        dist = (feats - self.centers[target]).pow(2).sum(dim=1)
        center_var = self.centers.var(dim=0).sum()
        return self.loss_weight * dist.mean() / center_var


@MODELS.register_module()
class PartitionLoss(nn.Module):
    """DAN's partition loss, `DAN <https://arxiv.org/abs/2109.07270>`_,
    Eq. (5): pushes the ``K`` heads to attend to different regions by
    penalising a small variance across heads::

        L_pt = log(1 + K / (sigma^2 + eps))

    as in the authors' code, with ``sigma^2`` the (unbiased) variance over
    heads averaged over samples and channels; ``per_channel=True`` takes the
    paper's form, ``1/(BC) sum_ij log(1 + K / (sigma_ij^2 + eps))``.
    Zero for one head.

    Args:
        loss_weight: Weight of the loss.
        eps: Added to the variance (the authors' ``sys.float_info.epsilon``).
        per_channel: Average the log over samples and channels (paper)
            instead of taking the log of the mean variance (code).
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = FLOAT_EPS,
                 per_channel: bool = False) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps
        self.per_channel = per_channel

    def forward(self, heads: torch.Tensor) -> torch.Tensor:
        """Compute the loss, `DAN <https://arxiv.org/abs/2109.07270>`_.

        Args:
            heads: ``[B, K, C]`` head outputs.

        Returns:
            torch.Tensor: The scalar loss times ``loss_weight``.
        """
        if heads.dim() != 3:
            raise ValueError(f'{type(self).__name__}: heads must be '
                             f'[B, K, C], got shape {tuple(heads.shape)}')
        num_heads = heads.shape[1]
        if num_heads < 2:
            return heads.sum() * 0.
        var = heads.var(dim=1)
        if self.per_channel:
            loss = torch.log1p(num_heads / (var + self.eps)).mean()
        else:
            loss = torch.log1p(num_heads / (var.mean() + self.eps))
        return self.loss_weight * loss


@MODELS.register_module()
class DANHead(ClsHead):
    """DAN's attention fusion and classifier with its three losses, `DAN
    <https://arxiv.org/abs/2109.07270>`_::

        logits = BN(fc(sum_k heads_k))
        loss = CE(logits) + L_af(pooled) + L_pt(heads)

    on the ``(pooled, heads)`` outputs of
    :class:`MultiHeadCrossAttentionNeck`. Logged as ``loss``,
    ``loss_affinity`` and ``loss_partition``.

    Args:
        num_classes: Number of classes; also the affinity loss's number of
            centres.
        in_channels: Feature length (512 for ResNet-18).
        loss: The classification loss (cross-entropy).
        affinity_loss: Config of :class:`AffinityLoss`; ``num_classes`` and
            ``feat_dim`` default to the head's.
        partition_loss: Config of :class:`PartitionLoss`.
        **kwargs: :class:`ClsHead`'s ``topk``, ``cal_acc`` and ``init_cfg``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 512,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 affinity_loss: dict = dict(
                     type='AffinityLoss', loss_weight=1.0),
                 partition_loss: dict = dict(
                     type='PartitionLoss', loss_weight=1.0),
                 **kwargs) -> None:
        super().__init__(loss=loss, **kwargs)
        if num_classes < 1:
            raise ValueError(f'{type(self).__name__}: num_classes must be '
                             f'positive, got num_classes={num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.fc = nn.Linear(in_channels, num_classes)
        self.bn = nn.BatchNorm1d(num_classes)
        affinity_loss = dict(affinity_loss)
        affinity_loss.setdefault('num_classes', num_classes)
        affinity_loss.setdefault('feat_dim', in_channels)
        self.affinity_loss = MODELS.build(affinity_loss)
        self.partition_loss = MODELS.build(partition_loss)

    @staticmethod
    def _unpack(feats: Sequence[torch.Tensor]
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(pooled, heads)`` of the neck's output."""
        if len(feats) != 2 or feats[1].dim() != 3:
            raise ValueError(
                'DANHead expects the (pooled [B, C], heads [B, K, C]) outputs '
                'of MultiHeadCrossAttentionNeck, got '
                f'{[tuple(f.shape) for f in feats]}')
        return feats[0], feats[1]

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The fused feature ``sum_k heads_k``, ``[B, C]``."""
        return self._unpack(feats)[1].sum(dim=1)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The logits ``BN(fc(sum_k heads_k))``, ``[B, num_classes]``."""
        return self.bn(self.fc(self.pre_logits(feats)))

    def loss(self, feats: Sequence[torch.Tensor],
             data_samples: List[DataSample], **kwargs) -> dict:
        """Cross-entropy, affinity and partition losses, `DAN
        <https://arxiv.org/abs/2109.07270>`_.

        Args:
            feats: The neck's ``(pooled, heads)``.
            data_samples: The samples (their ``gt_label``).
            **kwargs: Passed to the classification loss.

        Returns:
            dict[str, torch.Tensor]: ``loss`` (cross-entropy; plus accuracy
            when ``cal_acc``), ``loss_affinity`` and ``loss_partition``.
        """
        pooled, heads = self._unpack(feats)
        losses = self._get_loss(self(feats), data_samples, **kwargs)
        target = torch.cat([s.gt_label for s in data_samples])
        losses['loss_affinity'] = self.affinity_loss(pooled, target)
        losses['loss_partition'] = self.partition_loss(heads)
        return losses
