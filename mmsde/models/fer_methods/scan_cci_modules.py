"""The two branches of SCAN-CCI (Gera & Balasubramanian 2020): the
spatio-channel attention net over local patches and the whole map (SCAN),
and the complementary-context regions behind efficient channel attention
(CCI). `arXiv 2007.10298 <https://arxiv.org/abs/2007.10298>`_.

The head that combines them is :class:`mmsde.models.fer_methods.scan_cci.
SCANCCIHead`.
"""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule


def grid_spans(size: int, patch_size: int) -> List[Tuple[int, int]]:
    """Non-overlapping ``[start, end)`` spans of one axis: ``patch_size``
    long, the last one holding the remainder (28 cells, 6 a patch:
    ``6, 6, 6, 6, 4``, the authors' 25 patches of a 28x28 map).

    Args:
        size: Length of the axis.
        patch_size: Length of a span.

    Returns:
        list[tuple[int, int]]: The spans, in order.
    """
    if patch_size < 1:
        raise ValueError(f'patch_size must be >= 1, got {patch_size}')
    return [(start, min(start + patch_size, size))
            for start in range(0, size, patch_size)]


def grid_patches(x: torch.Tensor, patch_size: int) -> List[torch.Tensor]:
    """Cut ``[B, C, H, W]`` maps into non-overlapping local patches, row by
    row (:func:`grid_spans` on each axis).

    Args:
        x: The feature maps.
        patch_size: Side of a patch in map cells.

    Returns:
        list[torch.Tensor]: ``[B, C, h, w]`` patches, ``h, w <= patch_size``.
    """
    return [x[:, :, top:bottom, left:right]
            for top, bottom in grid_spans(x.shape[2], patch_size)
            for left, right in grid_spans(x.shape[3], patch_size)]


def patch_max_pool(patches: List[torch.Tensor]) -> torch.Tensor:
    """The local descriptor of SCAN: global average pooling of every patch,
    then the maximum over patches, channel by channel.

    Args:
        patches: ``[B, C, h_i, w_i]`` patches (sizes may differ).

    Returns:
        torch.Tensor: ``[B, C]``.
    """
    pooled = torch.stack([p.mean(dim=(2, 3)) for p in patches], dim=-1)
    return pooled.max(dim=-1).values


def quadrants(x: torch.Tensor) -> List[torch.Tensor]:
    """The four regions of CCI: ``[top-left, top-right, bottom-left,
    bottom-right]`` of ``[B, C, H, W]`` maps, split at ``H // 2`` and
    ``W // 2``.

    Args:
        x: The feature maps, at least 2x2.

    Returns:
        list[torch.Tensor]: Four ``[B, C, h, w]`` regions.
    """
    height, width = x.shape[2:]
    if height < 2 or width < 2:
        raise ValueError(f'CCI needs maps of at least 2x2 cells to split '
                         f'into quadrants, got {height}x{width}')
    top, left = height // 2, width // 2
    return [x[:, :, :top, :left], x[:, :, :top, left:],
            x[:, :, top:, :left], x[:, :, top:, left:]]


class SpatioChannelAttention(BaseModule):
    """The attention net of SCAN: an attention weight in (0, 1) for every
    channel at every spatial position, ``A = sigmoid(BN(PReLU(conv3x3(X))))``
    (3x3 convolution, ``C`` to ``C`` channels, no bias, stride 1).

    Args:
        channels: Channels ``C`` of the input and of the map.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, channels: int, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.act = nn.PReLU(channels)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: ``[B, C, H, W]`` features.

        Returns:
            torch.Tensor: The attention map, same shape, in (0, 1).
        """
        return torch.sigmoid(self.bn(self.act(self.conv(x))))


class SCANBranch(BaseModule):
    """Local and global spatio-channel attention (SCAN) on a mid-level map
    ``X``: every local patch ``P_i`` is weighted by an attention net shared
    by all patches, ``P_i * A_l(P_i)`` (the net sees the patch alone, zero
    padded at its border); the local descriptor is the maximum over
    patches of their average-pooled features (:func:`patch_max_pool`), the
    global one the average pool of ``X * A_g(X)``. Their concatenation,
    L2-normalised, goes through one linear classifier.

    Args:
        in_channels: Channels of ``X``.
        num_classes: Number of classes.
        patch_size: Side of a local patch in map cells.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 patch_size: int = 6, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.local_attention = SpatioChannelAttention(in_channels)
        self.global_attention = SpatioChannelAttention(in_channels)
        self.fc = nn.Linear(2 * in_channels, num_classes)

    def descriptor(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: ``[B, C, H, W]`` mid-level features.

        Returns:
            torch.Tensor: ``[B, 2C]`` L2-normalised ``[local, global]``.
        """
        patches = [p * self.local_attention(p)
                   for p in grid_patches(x, self.patch_size)]
        local = patch_max_pool(patches)
        global_ = (x * self.global_attention(x)).mean(dim=(2, 3))
        return F.normalize(torch.cat([local, global_], dim=1), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns: ``[B, num_classes]`` logits of the attention branch."""
        return self.fc(self.descriptor(x))


class ECA(BaseModule):
    """Efficient channel attention, `ECA-Net
    <https://arxiv.org/abs/1910.03151>`_: ``X * sigmoid(conv1d_k(GAP(X)))``,
    a 1-D convolution (no bias) across the pooled channels.

    Args:
        kernel_size: Odd size ``k`` of the 1-D convolution.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, kernel_size: int = 5, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if kernel_size % 2 != 1:
            raise ValueError(f'ECA kernel_size must be odd, got {kernel_size}')
        self.conv = nn.Conv1d(1, 1, kernel_size, padding=kernel_size // 2,
                              bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args:
            x: ``[B, C, H, W]`` features.

        Returns:
            torch.Tensor: The reweighted features, same shape.
        """
        weights = torch.sigmoid(self.conv(x.mean(dim=(2, 3)).unsqueeze(1)))
        return x * weights.squeeze(1)[:, :, None, None]


class CCIBranch(BaseModule):
    """Complementary context information (CCI) on the deeper map ``Y``:
    ECA over its channels, the map cut into four quadrants
    (:func:`quadrants`), each average-pooled and classified by one MLP
    shared by the regions (``C -> C / reduction -> ReLU -> num_classes``).

    Args:
        in_channels: Channels ``C`` of ``Y``.
        num_classes: Number of classes.
        reduction: Hidden width divisor of the MLP.
        eca_kernel_size: Kernel size of :class:`ECA`.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 reduction: int = 4, eca_kernel_size: int = 5,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.eca = ECA(eca_kernel_size)
        hidden = in_channels // reduction
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Args:
            y: ``[B, C, H, W]`` deeper features.

        Returns:
            torch.Tensor: ``[B, 4, num_classes]`` logits of the regions, in
            :func:`quadrants` order.
        """
        regions = quadrants(self.eca(y))
        return torch.stack([self.mlp(r.mean(dim=(2, 3))) for r in regions],
                           dim=1)
