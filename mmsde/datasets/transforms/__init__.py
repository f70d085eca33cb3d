"""Pipeline transforms: image and pair loading, pair sharing, augmentations,
masks."""
from .augment import HueSaturationValue, ShiftScaleRotate
from .face_mask import SyntheticFaceMask
from .loading import LoadFaceImage
from .pairs import LoadImagePair, PairedTransform

__all__ = [
    'HueSaturationValue', 'LoadFaceImage', 'LoadImagePair',
    'PairedTransform', 'ShiftScaleRotate', 'SyntheticFaceMask'
]
