"""Masked-FER datasets (MSD-E, RAF-DB, FER2013, AffectNet, FERPlus, CK+,
annotation files)."""
from mmsde.utils.classes import FER_CLASSES

from . import transforms  # noqa: F401  (registers the transforms)
from .affectnet import AffectNet
from .base import MaskedFERBaseDataset
from .checks import DataEntryError
from .ckplus import CKPlus
from .fer2013 import FER2013
from .ferplus import FERPlus
from .folds import split_subjects, subject_folds
from .identity_writer import generate_synthetic_identities
from .masked_fer import MaskedFERDataset
from .msde import MSDE
from .msde_writer import (add_synthetic_masks, ensure_synthetic_msde,
                          generate_synthetic_msde, write_masked_pairs)
from .rafdb import RAFDB
from .records import FERRecord
from .samplers import ClassBalancedSampler, TwinSampler
from .wider_face import convert_wider_face, generate_face_scenes

__all__ = [
    'FER_CLASSES', 'DataEntryError', 'FERRecord', 'MaskedFERBaseDataset',
    'MSDE', 'MaskedFERDataset', 'RAFDB', 'FER2013', 'subject_folds',
    'split_subjects', 'add_synthetic_masks', 'ensure_synthetic_msde',
    'generate_synthetic_msde', 'write_masked_pairs',
    'generate_synthetic_identities', 'convert_wider_face',
    'generate_face_scenes', 'TwinSampler', 'AffectNet',
    'ClassBalancedSampler', 'CKPlus', 'FERPlus'
]
