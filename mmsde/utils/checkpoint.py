"""Safe loading of MMEngine checkpoints.

OpenMMLab checkpoints are pickles, and a pickle can run any code when it is
loaded. torch >= 2.6 loads with ``weights_only=True`` by default, which
refuses everything but tensors and plain values; MMEngine 0.10.7 never
passes ``weights_only``, so its own checkpoints (message hub, numpy values)
fail to load that way.

mmsde keeps ``weights_only=True`` and allows exactly what MMEngine and
MMPretrain / MMDetection checkpoints hold (:func:`checkpoint_safe_globals`,
found by listing the globals of every kind of checkpoint they write).
Importing mmsde routes MMEngine's loader of local files (``load_from``,
``--resume``, ``init_cfg=dict(type='Pretrained')``, ``load_checkpoint``) of
the whole process, MMDetection's and MMPretrain's loads included, through
:func:`load_checkpoint_file`; mmsde's own loaders (teacher, converter) call
it directly. ``MMSDE_SAFE_CHECKPOINT_LOADER=0`` at import, or
:func:`restore_checkpoint_loader`, keeps MMEngine's own loader.

A checkpoint that needs anything else is refused with
:class:`UnsafeCheckpointError`, naming the globals; a user who trusts the
file opts in knowingly with the environment variable
``MMSDE_TRUST_CHECKPOINTS=1`` (``--trust-checkpoints`` on the tools).
torch's safe loading stays on process-wide: the allow-list is active only
inside :func:`load_checkpoint_file` (``torch.serialization.safe_globals``),
and other ``torch.load`` calls keep torch's own default.
"""
import argparse
import glob
import os
import os.path as osp
import pickle
import zipfile
from typing import Any, Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

MapLocation = Optional[Union[str, torch.device]]
TRUST_ENV = 'MMSDE_TRUST_CHECKPOINTS'
SAFE_LOADER_ENV = 'MMSDE_SAFE_CHECKPOINT_LOADER'


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


def empty_bytes(*args: Any) -> bytes:
    """``bytes()``, the only call of ``bytes`` that pickle protocol 2 writes:
    the data of an empty numpy array (an empty MMEngine
    :class:`HistoryBuffer`, ``np.array([])``) pickles as ``bytes()``, while
    non-empty bytes pickle as ``_codecs.encode``, which torch allows.

    Registered as ``builtins.bytes`` for safe loading. It takes no argument,
    so it cannot call anything (``bytes(obj)`` would call ``obj.__bytes__``
    or iterate ``obj``) nor allocate (``bytes(10**12)``).
    """
    if args:
        raise UnsafeCheckpointError(
            f'refusing bytes() with {len(args)} argument(s) in a checkpoint: '
            'pickle writes only bytes() (empty bytes) that way')
    return b''


# Numpy dtypes that checkpoints hold (metrics, seeds, message-hub buffers,
# dataset meta). Their classes are only instantiated and given their
# ``__setstate__`` (byte order, item size, flags): no code runs. The object
# dtype is left out: nothing in a checkpoint of weights needs it.
NUMPY_DTYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                np.float64, np.complex64, np.complex128, np.str_, np.bytes_)


def _numpy_globals() -> list:
    """numpy's array and scalar reconstructors and dtypes (numpy 1 and 2).

    ``_reconstruct`` only makes an uninitialised ndarray (its first
    argument must be an ndarray subtype, and only ``numpy.ndarray`` is
    allowed); ``scalar`` only reads a value of an allowed dtype from bytes.
    """
    found = [np.ndarray, np.dtype]
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            mod = __import__(module, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        found += [(mod._reconstruct, f'{module}._reconstruct'),
                  (mod.scalar, f'{module}.scalar')]
    found += [type(np.dtype(t)) for t in NUMPY_DTYPES]
    return found


def checkpoint_safe_globals() -> List[Any]:
    """What MMEngine / MMPretrain / MMDetection checkpoints pickle besides
    what torch allows (tensors, plain values, ``OrderedDict``, ``Counter``,
    ``set``, ``complex``): the message hub's :class:`HistoryBuffer` (with its
    statistics methods), empty ``bytes`` and numpy arrays, scalars and
    dtypes. Optimizer, param-scheduler, EMA and loss-scaler states and
    ``meta`` need nothing more
    (``tests/test_utils/test_checkpoint_contents.py`` loads each)."""
    return [HistoryBuffer, (history_buffer_method, 'builtins.getattr'),
            (empty_bytes, 'builtins.bytes')] + _numpy_globals()


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


def _pickle_protocol(filename: str) -> Optional[int]:
    """The pickle protocol of a zip checkpoint's ``data.pkl``, if readable."""
    try:
        with zipfile.ZipFile(filename) as archive:
            name = next(n for n in archive.namelist()
                        if n.endswith('/data.pkl') or n == 'data.pkl')
            with archive.open(name) as data:
                head = data.read(2)
    except Exception:  # legacy (not zip) checkpoint, or no data.pkl
        return None
    return head[1] if len(head) == 2 and head[0] == 0x80 else None


def _offending(filename: str, err: Exception) -> str:
    """The globals a refused checkpoint needs, named for the user."""
    protocol = _pickle_protocol(filename)
    if 'Unsupported operand' in str(err) and protocol is not None and \
            protocol > torch.serialization.DEFAULT_PROTOCOL:
        return (f'it was pickled with protocol {protocol} '
                '(torch.save(..., pickle_protocol=...)), whose opcodes '
                'torch\'s safe unpickler does not read; save it with '
                'torch.save\'s default '
                f'protocol ({torch.serialization.DEFAULT_PROTOCOL}).')
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


# MMEngine's loader of local files as it was before mmsde replaced it.
_previous_loader: Optional[Callable] = None


def _local_loader() -> Optional[Callable]:
    # MMEngine 0.10.7 has a public setter (register_scheme) but no getter of
    # a registered loader (_get_checkpoint_loader is private too), so the
    # loader of local files (prefix '') is read from CheckpointLoader._schemes.
    return CheckpointLoader._schemes.get('')


def safe_loader_enabled() -> bool:
    """Whether importing mmsde routes MMEngine's loader of local files through
    :func:`load_checkpoint_file` (unless ``MMSDE_SAFE_CHECKPOINT_LOADER=0``).
    """
    return os.environ.get(SAFE_LOADER_ENV, '1').strip().lower() not in (
        '0', 'false', 'no', 'off')


def patch_checkpoint_loader() -> bool:
    """Route MMEngine's loader of local checkpoint files (of the whole
    process) through :func:`load_checkpoint_file`, keeping the loader it
    replaces for :func:`restore_checkpoint_loader`. Patching again keeps
    that loader; ``MMSDE_SAFE_CHECKPOINT_LOADER=0`` leaves MMEngine's.

    Returns:
        bool: Whether :func:`load_checkpoint_file` is now MMEngine's loader
        of local files (False when opted out).
    """
    global _previous_loader
    if not safe_loader_enabled():
        return False
    current = _local_loader()
    if current is not load_checkpoint_file:
        _previous_loader = current
        CheckpointLoader.register_scheme(
            prefixes='', loader=load_checkpoint_file, force=True)
    return True


def restore_checkpoint_loader() -> bool:
    """Give MMEngine back the loader of local files that it had before
    :func:`patch_checkpoint_loader` (its own ``load_from_local``, which
    calls ``torch.load`` with torch's defaults). mmsde's own loaders
    (teacher, converter, export) stay safe.

    Returns:
        bool: Whether a loader was restored (False when mmsde's was not the
        registered one, e.g. never patched or already restored).
    """
    global _previous_loader
    if _local_loader() is not load_checkpoint_file:
        return False
    if _previous_loader is None:  # MMEngine had none
        CheckpointLoader._schemes.pop('')  # no public unregister either
    else:
        CheckpointLoader.register_scheme(
            prefixes='', loader=_previous_loader, force=True)
    _previous_loader = None
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
