"""The optional extras of mmsde (``requirements/optional.txt``,
``requirements/faces.txt``, ``requirements/demo.txt``;
``pip install 'mmsde[optional]'``): a feature
that needs one checks first and names what to install, never a bare
``ModuleNotFoundError`` from inside a third-party package.

The face tools also need mmcv's compiled ops, which pip can not give: they
check with :func:`mmsde.utils.face_tools.require_face_tools`.
"""
import importlib.util
from typing import List

EXTRAS = ('optional', 'faces', 'demo')


class MissingExtraError(ImportError):
    """A package of an optional extra is not installed."""


def missing_modules(*modules: str) -> List[str]:
    """The top-level modules among ``modules`` that can not be imported."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def require_extra(extra: str, *modules: str, what: str) -> None:
    """Fail at once, naming the extra, where a module it provides is missing.

    Args:
        extra: ``'optional'`` or ``'faces'``.
        *modules: Top-level modules the feature imports (``'onnx'``).
        what: The feature, for the message (``'ONNX export'``).

    Raises:
        ValueError: ``extra`` is not one of :data:`EXTRAS`.
        MissingExtraError: A module is missing; the message names it, the
            extra and the command that installs it.
    """
    if extra not in EXTRAS:
        raise ValueError(f'extra must be one of {EXTRAS}, got {extra!r}')
    missing = missing_modules(*modules)
    if missing:
        raise MissingExtraError(
            f'{what} needs {", ".join(missing)}, of mmsde\'s {extra!r} extra: '
            f'`pip install -r requirements/{extra}.txt` in the mmsde '
            f'checkout (`pip install "mmsde[{extra}]"` from a wheel)')
