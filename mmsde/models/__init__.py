"""mmsde models: backbones, losses, algorithms and data preprocessing,
registered into MMPretrain's ``MODELS`` registry."""
# importing the subpackages registers their modules
from . import backbones, classifiers, fer_methods, losses, utils  # noqa
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
