"""Optimiser wrappers of mmsde, registered into MMPretrain's
``OPTIM_WRAPPERS`` registry."""
from .bf16_optim_wrapper import (BF16OptimWrapper, BF16UnsupportedError,
                                 bf16_support)

__all__ = ['BF16OptimWrapper', 'BF16UnsupportedError', 'bf16_support']
