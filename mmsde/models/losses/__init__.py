"""Losses of the masked-FER algorithms."""
from .distill_losses import FeatureDistillLoss, LogitDistillLoss
from .paired_feature_loss import PairedFeatureLoss
from .supcon_loss import SupConLoss

__all__ = [
    'FeatureDistillLoss', 'LogitDistillLoss', 'PairedFeatureLoss', 'SupConLoss'
]
