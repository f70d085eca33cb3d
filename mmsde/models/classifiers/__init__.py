"""Masked-FER algorithms: thin subclasses of MMPretrain's ImageClassifier."""
from .distiller import MaskedFERDistiller
from .paired_classifier import PairedClassifier
from .supcon_classifier import SupConClassifier

__all__ = ['MaskedFERDistiller', 'PairedClassifier', 'SupConClassifier']
