"""Feature-map consistency between the two images of a pair (MSD-E)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


@MODELS.register_module()
class PairedFeatureLoss(nn.Module):
    """MSE between the feature maps of the non-masked and the masked image
    of a pair, the "contrastive" term of `MSD-E
    <https://arxiv.org/abs/2304.03867>`_.

    As in the authors' code, each map is L2-normalised over its channels at
    every spatial position (``F.normalize(x, dim=1)`` on ``[N, C, H, W]``),
    then the squared differences are averaged over all elements
    (``N * C * H * W``). Pooled ``[N, C]`` features work the same way.

    Args:
        loss_weight: Weight of the loss (``alpha`` in the paper).
        normalize: L2-normalise over channels before the MSE.
    """

    def __init__(self, loss_weight: float = 1.0,
                 normalize: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.normalize = normalize

    def forward(self, feat_non_masked: torch.Tensor,
                feat_masked: torch.Tensor) -> torch.Tensor:
        """Compute the loss, `MSD-E <https://arxiv.org/abs/2304.03867>`_.

        Args:
            feat_non_masked: ``[N, C, ...]`` features of the non-masked
                images.
            feat_masked: Features of the paired masked images, same shape.

        Returns:
            torch.Tensor: The scalar loss times ``loss_weight``.
        """
        check_same_shape(type(self).__name__, **{
            'non-masked': feat_non_masked,
            'masked': feat_masked
        })
        if self.normalize:
            feat_non_masked = F.normalize(feat_non_masked, dim=1)
            feat_masked = F.normalize(feat_masked, dim=1)
        return self.loss_weight * F.mse_loss(feat_non_masked, feat_masked)


def check_same_shape(owner: str, **tensors: torch.Tensor) -> None:
    """Raise a ``ValueError`` naming each tensor's shape unless all agree.

    Args:
        owner: The loss's name, for the message.
        **tensors: The tensors, by the names the message uses.
    """
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        listed = ', '.join(f'{name} {shape}' for name, shape in shapes.items())
        raise ValueError(f'{owner}: shapes differ: {listed}')
