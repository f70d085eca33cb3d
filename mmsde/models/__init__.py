"""mmsde models: backbones, losses, algorithms and data preprocessing,
registered into MMPretrain's ``MODELS`` registry."""
from . import backbones, classifiers, losses, utils  # noqa: F401  (registers)
from .backbones import MiniXception
from .classifiers import MaskedFERDistiller, PairedClassifier, SupConClassifier
from .losses import (FeatureDistillLoss, LogitDistillLoss, PairedFeatureLoss,
                     SupConLoss)
from .utils import PairedClsDataPreprocessor

__all__ = [
    'MiniXception', 'MaskedFERDistiller', 'PairedClassifier',
    'SupConClassifier',
    'FeatureDistillLoss', 'LogitDistillLoss', 'PairedFeatureLoss',
    'SupConLoss', 'PairedClsDataPreprocessor'
]
