"""Loading of MMEngine checkpoints under torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. MMEngine 0.10.7
never passes ``weights_only``, so resuming, ``load_from``, ``load_checkpoint``
and ``init_cfg=dict(type='Pretrained')`` fail on its own checkpoints, which
pickle the message hub, the optimizer state and numpy objects.

As upstream MMEngine's fix does, mmsde loads *local checkpoint files that go
through MMEngine's CheckpointLoader* with ``weights_only=False``. Those are
the files a user names in a config or on the command line (``load_from``,
``--resume``, ``init_cfg.checkpoint``, ``--checkpoint``). Every other
``torch.load`` in the process keeps torch's safe default.
"""
import glob
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.runner.checkpoint import CheckpointLoader

MapLocation = Optional[Union[str, torch.device]]


def _safe_load_is_default() -> bool:
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    return (major, minor) >= (2, 6)


def load_from_trusted_local(filename: str,
                            map_location: MapLocation = None) -> dict:
    """Load a checkpoint file that the user named, allowing pickled objects.

    Args:
        filename: Path of an OpenMMLab (or plain PyTorch) checkpoint.
        map_location: Same as :func:`torch.load`.

    Returns:
        The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    return torch.load(filename, map_location=map_location, weights_only=False)


def patch_checkpoint_loader() -> bool:
    """Make MMEngine's loader of local checkpoint files accept pickles.

    Returns:
        Whether the loader was replaced (only with torch >= 2.6).
    """
    if not _safe_load_is_default():
        return False
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_trusted_local, force=True)
    return True


def resolve_checkpoint(pattern: str) -> str:
    """The one file that a checkpoint path or glob pattern names.

    Args:
        pattern: A path, or a glob such as ``work_dirs/x/best_*.pth``.

    Returns:
        str: The matching file.

    Raises:
        FileNotFoundError: Nothing matches, or several files do (listed).
    """
    if osp.isfile(pattern):
        return pattern
    matches = sorted(glob.glob(osp.expanduser(pattern)))
    if len(matches) != 1:
        found = f'several files match: {matches}' if matches else \
            'no file matches'
        raise FileNotFoundError(
            f'teacher checkpoint {pattern}: {found}; train the teacher first '
            'or set model.teacher_ckpt to one checkpoint')
    return matches[0]
