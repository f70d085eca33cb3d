"""Metrics of masked facial expression recognition."""
from .masked_fer import MaskedFERMetric

__all__ = ['MaskedFERMetric']
