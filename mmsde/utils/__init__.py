from .cache import cache_root
from .checkpoint import (TRUST_ENV, UnsafeCheckpointError, add_trust_argument,
                         load_checkpoint_file, patch_checkpoint_loader,
                         resolve_checkpoint, restore_checkpoint_loader,
                         trust_checkpoints)
from .setup_env import register_all_modules

__all__ = [
    'TRUST_ENV', 'UnsafeCheckpointError', 'add_trust_argument', 'cache_root',
    'load_checkpoint_file',
    'patch_checkpoint_loader', 'register_all_modules', 'resolve_checkpoint',
    'restore_checkpoint_loader', 'trust_checkpoints'
]
