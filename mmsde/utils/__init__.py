from .checkpoint import load_trusted_checkpoint, patch_checkpoint_loader
from .setup_env import register_all_modules

__all__ = [
    'load_trusted_checkpoint', 'patch_checkpoint_loader',
    'register_all_modules'
]
