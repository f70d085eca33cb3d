from .checkpoint import (load_from_trusted_local, patch_checkpoint_loader,
                         resolve_checkpoint)
from .setup_env import register_all_modules

__all__ = [
    'load_from_trusted_local', 'patch_checkpoint_loader',
    'register_all_modules', 'resolve_checkpoint'
]
