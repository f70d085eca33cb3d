"""Whether the face tools can run: they need MMDetection and mmcv's compiled
ops, which the light install (``make install``) leaves out."""
import importlib.util
from typing import List

FACES_INSTALL = 'make install-faces'


class FaceToolsUnavailableError(ImportError):
    """The face tools' packages are not installed."""


def missing_face_packages() -> List[str]:
    """What the face tools need and this environment lacks."""
    missing = []
    if importlib.util.find_spec('mmdet') is None:
        missing.append('MMDetection (mmdet)')
    try:
        from mmcv.ops import nms  # noqa: F401
    except ImportError:
        missing.append("mmcv's compiled ops (mmcv._ext)")
    return missing


def require_face_tools(what: str = 'face detection') -> None:
    """Fail at once, naming the install command, where the face tools'
    packages are missing (never a bare ``ImportError`` from inside
    MMDetection).

    Args:
        what: What needs them, for the message.

    Raises:
        FaceToolsUnavailableError: Something is missing.
    """
    missing = missing_face_packages()
    if missing:
        raise FaceToolsUnavailableError(
            f'{what} needs {" and ".join(missing)}, which the light install '
            f'leaves out: run `{FACES_INSTALL}` in the mmsde checkout (or '
            '`bash tools/install.sh --faces`); it keeps what is installed '
            'and adds them')


def exit_unless_face_tools(tool: str) -> None:
    """:func:`require_face_tools` for command-line tools: exit with the
    message (no traceback) before the tool reads any input."""
    try:
        require_face_tools(tool)
    except FaceToolsUnavailableError as err:
        raise SystemExit(f'error: {err}')
