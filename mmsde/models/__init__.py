"""mmsde models: backbones, losses, algorithms and data preprocessing,
registered into MMPretrain's ``MODELS`` registry."""
# importing the subpackages registers their modules (and converters the
# cache files they build, for the message when one is missing)
from . import (backbones, classifiers, converters, fer_methods,  # noqa
               losses, utils)
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
