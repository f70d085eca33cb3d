from .face_mask import SyntheticFaceMask, draw_face_mask

__all__ = ['SyntheticFaceMask', 'draw_face_mask']
from .pairs import LoadImagePair, PairedTransform  # noqa: E402

__all__ += ['LoadImagePair', 'PairedTransform']
from .augment import HueSaturationValue, ShiftScaleRotate  # noqa: E402

__all__ += ['HueSaturationValue', 'ShiftScaleRotate']
