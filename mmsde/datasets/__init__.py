"""Masked-FER datasets (MSD-E, RAF-DB, FER2013, annotation files)."""
from . import transforms  # noqa: F401  (registers the transforms)
from .base import FERRecord, MaskedFERBaseDataset
from .classes import FER_CLASSES
from .fer2013 import FER2013
from .folds import split_subjects, subject_folds
from .masked_fer import MaskedFERDataset
from .msde import MSDE
from .rafdb import RAFDB

__all__ = [
    'FER_CLASSES', 'FERRecord', 'MaskedFERBaseDataset', 'MSDE',
    'MaskedFERDataset', 'RAFDB', 'FER2013', 'subject_folds', 'split_subjects'
]
