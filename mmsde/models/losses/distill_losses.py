"""Knowledge-distillation losses: a non-masked teacher guiding a student."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .paired_feature_loss import PairedFeatureLoss, check_same_shape


@MODELS.register_module()
class FeatureDistillLoss(PairedFeatureLoss):
    """MSE between the L2-normalised feature maps of a student and a frozen
    teacher, the feature distillation of `MSD-E
    <https://arxiv.org/abs/2304.03867>`_ (``lambda = 100`` in the authors'
    code).

    The same maths as :class:`PairedFeatureLoss` (channels normalised at
    every position, squared differences averaged over all elements), called
    as ``loss(student_feat, teacher_feat)``; the teacher's features are
    detached.

    Args:
        loss_weight: ``lambda``, the weight of the loss.
        normalize: L2-normalise over channels before the MSE.
    """

    def __init__(self, loss_weight: float = 100.0,
                 normalize: bool = True) -> None:
        super().__init__(loss_weight=loss_weight, normalize=normalize)

    def forward(self, student_feat: torch.Tensor,
                teacher_feat: torch.Tensor) -> torch.Tensor:
        """Compute the loss, `MSD-E <https://arxiv.org/abs/2304.03867>`_.

        Args:
            student_feat: ``[N, C, ...]`` student features.
            teacher_feat: Teacher features of the same shape.

        Returns:
            torch.Tensor: The scalar loss times ``loss_weight``.
        """
        return super().forward(student_feat, teacher_feat.detach())


@MODELS.register_module()
class LogitDistillLoss(nn.Module):
    """`Logit distillation <https://arxiv.org/abs/1503.02531>`_ (Hinton et
    al. 2015): ``tau^2 * KL(softmax(t / tau) || softmax(s / tau))``,
    averaged over the batch.

    The ``tau^2`` factor keeps the gradient scale independent of ``tau``. The
    KL divergence is computed in float32 with autocast disabled.

    Args:
        tau: Softmax temperature.
        loss_weight: Weight of the loss.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'LogitDistillLoss: tau must be > 0, got {tau}')
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, student_logits: torch.Tensor,
                teacher_logits: torch.Tensor) -> torch.Tensor:
        """Compute the loss, `Hinton et al. 2015
        <https://arxiv.org/abs/1503.02531>`_.

        Args:
            student_logits: ``[N, K]`` student class scores.
            teacher_logits: ``[N, K]`` teacher class scores.

        Returns:
            torch.Tensor: The scalar loss times ``loss_weight``.
        """
        check_same_shape('LogitDistillLoss', student=student_logits,
                         teacher=teacher_logits)
        dtype = torch.promote_types(student_logits.dtype, torch.float32)
        with torch.autocast(device_type=student_logits.device.type,
                            enabled=False):
            log_p_student = F.log_softmax(
                student_logits.to(dtype) / self.tau, dim=1)
            log_p_teacher = F.log_softmax(
                teacher_logits.detach().to(dtype) / self.tau, dim=1)
            kl = F.kl_div(log_p_student, log_p_teacher, reduction='batchmean',
                          log_target=True)
        return self.loss_weight * self.tau**2 * kl
