"""mmsde: masked facial expression recognition on MMPretrain.

Importing the package registers its datasets, transforms, models and metrics
into MMPretrain's registries (configs do it with ``custom_imports``) and lets
MMEngine load the checkpoints that users name under torch >= 2.6
(see :mod:`mmsde.utils.checkpoint`).
"""
from .utils import patch_checkpoint_loader
from .version import __version__

# registers the modules
from . import datasets, engine, evaluation, models  # noqa: F401,E402

patch_checkpoint_loader()

__all__ = ['__version__']
