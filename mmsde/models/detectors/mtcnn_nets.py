"""The three networks of MTCNN (P-Net, R-Net, O-Net), in plain PyTorch.

Zhang et al., "Joint Face Detection and Alignment using Multi-task Cascaded
Convolutional Networks", IEEE SPL 2016 (https://arxiv.org/abs/1604.02878).
The layer sizes are the paper's; :mod:`mmsde.models.converters.mtcnn`
fills them with the published weights. Inputs are RGB images normalised as
``(pixel - 127.5) / 128``.

The networks run in ``channels_last`` memory format: on CPU its convolution
and max-pooling kernels are about 1.5-3 times faster for these small layers.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

CHANNELS_LAST = torch.channels_last


def _conv_block(in_ch: int, out_ch: int,
                kernel: int) -> Tuple[nn.Module, nn.Module]:
    return nn.Conv2d(in_ch, out_ch, kernel), nn.PReLU(out_ch)


class PNet(nn.Module):
    """Proposal network: a fully convolutional 12x12 face classifier.

    Each output cell looks at a 12x12 window; cells are 2 input pixels
    apart.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.act1 = _conv_block(3, 10, 3)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.act2 = _conv_block(10, 16, 3)
        self.conv3, self.act3 = _conv_block(16, 32, 3)
        self.score = nn.Conv2d(32, 2, 1)
        self.bbox = nn.Conv2d(32, 4, 1)

    def forward(self,
                x: Tensor,
                valid_hw: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Score every 12x12 window of a (padded) batch.

        Args:
            x (Tensor): Normalised images, ``(B, 3, H, W)``.
            valid_hw (Tensor, optional): ``(B, 2)`` height and width of the
                image inside each padded tensor. The first layer's outputs
                beyond it are set to ``-inf`` before pooling, so that the
                last (partial, ``ceil_mode``) pooling window of each image
                sees only its own pixels, as when it runs alone. Output
                cells beyond :meth:`output_size` are meaningless.

        Returns:
            tuple[Tensor, Tensor]: Face probability ``(B, Ho, Wo)`` and box
            regression ``(B, 4, Ho, Wo)`` (dx1, dy1, dx2, dy2).
        """
        x = self.act1(self.conv1(x.contiguous(memory_format=CHANNELS_LAST)))
        if valid_hw is not None:
            rows = torch.arange(x.shape[2], device=x.device)
            cols = torch.arange(x.shape[3], device=x.device)
            outside = ((rows[None, :, None] >= valid_hw[:, 0, None, None] - 2)
                       | (cols[None, None, :] >= valid_hw[:, 1, None, None] -
                          2))
            x = x.masked_fill(outside[:, None], float('-inf'))
        x = self.act3(self.conv3(self.act2(self.conv2(self.pool1(x)))))
        prob = torch.softmax(self.score(x), dim=1)[:, 1]
        return prob, self.bbox(x)

    @staticmethod
    def output_size(size: int) -> int:
        """Number of output cells along a side of ``size`` input pixels."""
        return max(0, -(-(size - 2) // 2) - 4)


class RNet(nn.Module):
    """Refinement network on 24x24 crops."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.act1 = _conv_block(3, 28, 3)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.act2 = _conv_block(28, 48, 3)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.act3 = _conv_block(48, 64, 2)
        self.fc = nn.Linear(64 * 3 * 3, 128)
        self.act_fc = nn.PReLU(128)
        self.score = nn.Linear(128, 2)
        self.bbox = nn.Linear(128, 4)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Args:
            x (Tensor): Normalised crops, ``(K, 3, 24, 24)``.

        Returns:
            tuple[Tensor, Tensor]: Face probability ``(K,)`` and box
            regression ``(K, 4)``.
        """
        x = x.contiguous(memory_format=CHANNELS_LAST)
        x = self.pool1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        x = self.act3(self.conv3(x))
        x = self.act_fc(self.fc(x.flatten(1)))
        return torch.softmax(self.score(x), dim=1)[:, 1], self.bbox(x)


class ONet(nn.Module):
    """Output network on 48x48 crops: score, box and five landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.act1 = _conv_block(3, 32, 3)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.act2 = _conv_block(32, 64, 3)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.act3 = _conv_block(64, 64, 3)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.act4 = _conv_block(64, 128, 2)
        self.fc = nn.Linear(128 * 3 * 3, 256)
        self.act_fc = nn.PReLU(256)
        self.score = nn.Linear(256, 2)
        self.bbox = nn.Linear(256, 4)
        self.landmarks = nn.Linear(256, 10)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Args:
            x (Tensor): Normalised crops, ``(K, 3, 48, 48)``.

        Returns:
            tuple[Tensor, Tensor, Tensor]: Face probability ``(K,)``, box
            regression ``(K, 4)`` and landmarks ``(K, 10)`` as fractions of
            the crop: five x, then five y.
        """
        x = x.contiguous(memory_format=CHANNELS_LAST)
        x = self.pool1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        x = self.pool3(self.act3(self.conv3(x)))
        x = self.act4(self.conv4(x))
        x = self.act_fc(self.fc(x.flatten(1)))
        prob = torch.softmax(self.score(x), dim=1)[:, 1]
        return prob, self.bbox(x), self.landmarks(x)
