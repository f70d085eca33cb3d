"""Model utilities: multi-view data preprocessing, gathering with gradient."""
from .batch_augments import BatchColorJitter, BatchFlip, BatchShiftScaleRotate
from .data_preprocessor import PairedClsDataPreprocessor, split_view_batches
from .gather import all_gather_with_grad

__all__ = [
    'BatchColorJitter', 'BatchFlip', 'BatchShiftScaleRotate',
    'PairedClsDataPreprocessor', 'split_view_batches', 'all_gather_with_grad'
]
