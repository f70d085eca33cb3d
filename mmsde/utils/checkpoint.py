"""Safe loading of MMEngine checkpoints.

OpenMMLab checkpoints are pickles, and a pickle can run any code when it is
loaded. torch >= 2.6 loads with ``weights_only=True`` by default, which
refuses everything but tensors and plain values; MMEngine 0.10.7 never
passes ``weights_only``, so its own checkpoints (message hub, numpy values)
fail to load that way.

mmsde keeps ``weights_only=True`` and allows exactly what MMEngine and
MMPretrain checkpoints hold (:func:`checkpoint_safe_globals`, found by
listing the globals of every kind of checkpoint mmsde writes). Importing
mmsde routes MMEngine's loader of local files (``load_from``, ``--resume``,
``init_cfg=dict(type='Pretrained')``, ``load_checkpoint``) and the teacher
loader through :func:`load_checkpoint_file`. A checkpoint that needs
anything else is refused with :class:`UnsafeCheckpointError`, naming the
globals; a user who trusts the file opts in knowingly with the environment
variable ``MMSDE_TRUST_CHECKPOINTS=1`` (``--trust-checkpoints`` on the
tools). Nothing is changed process-wide: other ``torch.load`` calls keep
torch's own default.
"""
import argparse
import glob
import os
import os.path as osp
import pickle
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

MapLocation = Optional[Union[str, torch.device]]
TRUST_ENV = 'MMSDE_TRUST_CHECKPOINTS'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint whose pickle needs more than mmsde allows."""


def history_buffer_method(obj: Any, name: str) -> Any:
    """``getattr`` as MMEngine checkpoints use it, and nothing more: the
    statistics methods (``min``, ``mean``, ...) that a pickled
    :class:`HistoryBuffer` keeps. Registered as ``builtins.getattr`` for
    safe loading; any other attribute is refused."""
    if (isinstance(obj, HistoryBuffer) or obj is HistoryBuffer) and \
            not name.startswith('_') and \
            callable(getattr(HistoryBuffer, name, None)):
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'refusing getattr({type(obj).__name__}, {name!r}) in a checkpoint: '
        'only the statistics methods of an MMEngine HistoryBuffer are '
        'allowed')


def _numpy_globals() -> list:
    """numpy's array and scalar reconstructors and dtypes (numpy 1 and 2)."""
    found = [np.ndarray, np.dtype]
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            mod = __import__(module, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        found += [(mod._reconstruct, f'{module}._reconstruct'),
                  (mod.scalar, f'{module}.scalar')]
    found += [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
        np.uint16, np.uint32, np.uint64, np.float16, np.float32, np.float64,
        np.str_)]
    return found


def checkpoint_safe_globals() -> List[Any]:
    """What MMEngine / MMPretrain checkpoints pickle besides tensors: the
    message hub's :class:`HistoryBuffer` (with its statistics methods) and
    numpy arrays, scalars and dtypes."""
    return [HistoryBuffer, (history_buffer_method, 'builtins.getattr')
            ] + _numpy_globals()


def _allowed_names() -> set:
    names = set()
    for item in checkpoint_safe_globals():
        if isinstance(item, tuple):
            names.add(item[1])
        else:
            names.add(f'{item.__module__}.{item.__qualname__}')
    return names


def checkpoints_trusted() -> bool:
    """Whether the user opted in to full unpickling
    (``MMSDE_TRUST_CHECKPOINTS=1``)."""
    return os.environ.get(TRUST_ENV, '') == '1'


def load_checkpoint_file(filename: str,
                         map_location: MapLocation = None) -> Any:
    """Load a checkpoint file safely (see the module docstring).

    Args:
        filename: Path of an OpenMMLab or plain PyTorch checkpoint.
        map_location: Same as :func:`torch.load`.

    Returns:
        The loaded checkpoint.

    Raises:
        FileNotFoundError: No such file.
        UnsafeCheckpointError: The pickle needs globals outside the allowed
            set (they are named, with the opt-in for trusted files).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    if checkpoints_trusted():
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'checkpoint {filename} was refused: {_offending(filename, err)}'
            ' Loading it could run code stored in the file. If you trust '
            f'it, set {TRUST_ENV}=1 (or pass --trust-checkpoints to the '
            'mmsde tools).') from None


def _unpickler_reason(err: Exception) -> str:
    """What torch's weights-only unpickler refused, from its message."""
    text = str(err)
    marker = 'WeightsUnpickler error:'
    if marker in text:
        text = text.split(marker, 1)[1].split('Check the documentation')[0]
    reason = ' '.join(text.split()) or repr(err)
    return reason.rstrip('.') + '.'


def _offending(filename: str, err: Exception) -> str:
    """The globals a refused checkpoint needs, named for the user."""
    try:
        needed = torch.serialization.get_unsafe_globals_in_checkpoint(
            filename)
    except Exception:  # not a zip checkpoint: torch's own message
        return _unpickler_reason(err)
    extra = sorted(set(needed) - _allowed_names())
    if not extra:
        return _unpickler_reason(err)
    return (f'its pickle needs {", ".join(extra)}, which a checkpoint of '
            'weights, optimizer state and MMEngine logs never does.')


def trust_checkpoints() -> None:
    """Opt in to full unpickling for this process and its children (what
    the tools' ``--trust-checkpoints`` does)."""
    os.environ[TRUST_ENV] = '1'


class _TrustAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        trust_checkpoints()
        setattr(namespace, self.dest, True)


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--trust-checkpoints`` (sets ``MMSDE_TRUST_CHECKPOINTS=1``)."""
    parser.add_argument(
        '--trust-checkpoints', action=_TrustAction, nargs=0, default=False,
        help='unpickle checkpoints fully (they can run code): only for '
        f'files you trust; same as {TRUST_ENV}=1')


def patch_checkpoint_loader() -> bool:
    """Route MMEngine's loader of local checkpoint files through
    :func:`load_checkpoint_file`.

    Returns:
        True (the loader is replaced with every torch version).
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_checkpoint_file, force=True)
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
