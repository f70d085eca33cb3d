"""mmsde: masked facial expression recognition on MMPretrain.

Importing the package registers its datasets, transforms, models and metrics
into MMPretrain's registries (configs do it with ``custom_imports``), makes
MMEngine load local checkpoints safely, allowing only what its checkpoints
hold (see :mod:`mmsde.utils.checkpoint`), ``face-pretrain://`` checkpoints
(see :mod:`mmsde.apis.face_pretrain`) and ``mmsde-cache://`` ones (files of
the cache, see :mod:`mmsde.utils.cache`), and lets configs inherit mmsde's
bundled configs as ``mmsde::<folder>/<file>.py`` (see :mod:`mmsde.registry`).
"""
# registers the modules
from . import datasets, engine, evaluation, models  # noqa: F401
from .apis import register_face_pretrain_scheme
from .registry import register_config_scope
from .utils import patch_checkpoint_loader
from .utils.cache import register_cache_scheme
from .version import __version__

patch_checkpoint_loader()
register_face_pretrain_scheme()
register_cache_scheme()
register_config_scope()

__all__ = ['__version__']
