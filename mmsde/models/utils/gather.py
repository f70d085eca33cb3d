"""Cross-process gathering that lets gradients flow back to every rank.

Contrastive losses compare each local sample with the samples of all
processes. The gathered copies of the other ranks' features carry no
autograd history, so the gradient of rank ``r``'s loss with respect to rank
``k``'s features would be lost. :func:`all_gather_with_grad` sums those
gradients over ranks in the backward pass (an all-reduce), so that after
DDP's averaging the parameters receive the gradient of the mean of the
per-rank losses, exactly as if one process had seen the whole batch.
(MMPretrain 1.2.0's ``GatherLayer`` in ``selfsup/simclr.py`` keeps only the
local loss's gradient, which drops those terms.)
"""
from typing import Any

import torch
from mmengine.dist import all_gather, all_reduce, get_dist_info


class _AllGatherWithGrad(torch.autograd.Function):
    """Concatenate a tensor from all ranks; backward sums over ranks."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        rank, world_size = get_dist_info()
        ctx.rank, ctx.world_size = rank, world_size
        ctx.local_size = tensor.size(0)
        gathered = all_gather(tensor.contiguous())
        return torch.cat(gathered, dim=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        all_reduce(grad, op='sum')
        start = ctx.rank * ctx.local_size
        return grad[start:start + ctx.local_size]


def all_gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every rank along dim 0, keeping gradients.

    All ranks must pass tensors of the same shape (MMEngine's
    ``DefaultSampler`` pads the dataset so that every rank gets as many
    samples). Rank ``r``'s rows sit at ``[r * N, (r + 1) * N)``. In the
    backward pass each rank receives the sum over ranks of the gradients of
    its rows. Outside a process group (or with one process) the tensor is
    returned unchanged.

    Used by :class:`mmsde.models.losses.SupConLoss`
    (`Khosla et al. 2020 <https://arxiv.org/abs/2004.11362>`_).

    Args:
        tensor: The local tensor, ``[N, ...]``.

    Returns:
        torch.Tensor: ``[world_size * N, ...]``.
    """
    _, world_size = get_dist_info()
    if world_size == 1:
        return tensor
    return _AllGatherWithGrad.apply(tensor)
