"""mmsde models: losses, algorithms and data preprocessing, registered into
MMPretrain's ``MODELS`` registry."""
from . import classifiers, losses, utils  # noqa: F401  (registers modules)
from .classifiers import MaskedFERDistiller, PairedClassifier, SupConClassifier
from .losses import (FeatureDistillLoss, LogitDistillLoss, PairedFeatureLoss,
                     SupConLoss)
from .utils import PairedClsDataPreprocessor

__all__ = [
    'MaskedFERDistiller', 'PairedClassifier', 'SupConClassifier',
    'FeatureDistillLoss', 'LogitDistillLoss', 'PairedFeatureLoss',
    'SupConLoss', 'PairedClsDataPreprocessor'
]
