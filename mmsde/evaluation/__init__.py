"""Evaluation of masked-FER models (registered into MMPretrain's METRICS)."""
from .metrics import MaskedFERMetric

__all__ = ['MaskedFERMetric']
