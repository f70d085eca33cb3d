"""Pipeline transforms: pair loading and sharing, augmentations, masks."""
from .augment import HueSaturationValue, ShiftScaleRotate
from .face_mask import SyntheticFaceMask
from .pairs import LoadImagePair, PairedTransform

__all__ = [
    'HueSaturationValue', 'LoadImagePair', 'PairedTransform',
    'ShiftScaleRotate', 'SyntheticFaceMask'
]
