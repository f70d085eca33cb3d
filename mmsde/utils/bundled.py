"""Files that ship inside the installed package, OpenMMLab's way.

``setup.py`` puts ``configs/``, ``tools/`` and ``model-index.yml`` under
``mmsde/.mim``: links to the checkout in an editable install, copies in a
wheel. Code that needs a bundled config names it ``mmsde::<folder>/<file>``
(the prefix MMEngine's ``_base_`` and ``mim`` understand) and finds it here,
in the package, wherever it is installed.
"""
from pathlib import Path
from typing import Optional

MIM_ROOT = Path(__file__).resolve().parents[1] / '.mim'
PREFIX = 'mmsde::'


def configs_root() -> Optional[Path]:
    """``mmsde/.mim/configs`` of the installed package; for a source
    checkout imported without an install (``PYTHONPATH=.``, e.g. on a
    machine that carries only wheels) its ``configs/``; else None."""
    if (MIM_ROOT / 'configs').is_dir():
        return MIM_ROOT / 'configs'
    checkout = MIM_ROOT.parents[1]
    if (checkout / 'setup.py').is_file() and (checkout / 'configs').is_dir():
        return checkout / 'configs'
    return None


def bundled_config(name: str) -> Path:
    """The file of the bundled config ``mmsde::<folder>/<file>.py``.

    Args:
        name: ``mmsde::<folder>/<file>.py`` or ``<folder>/<file>.py``.

    Raises:
        FileNotFoundError: The package has no such config, or was not
            installed with its configs (the message says how to fix it).
    """
    relative = name[len(PREFIX):] if name.startswith(PREFIX) else name
    root = configs_root()
    if root is None:
        raise FileNotFoundError(
            f'{name}: mmsde is installed without its configs '
            f'({MIM_ROOT / "configs"} is missing); reinstall it with '
            '`pip install -e .` in the checkout or `pip install mmsde`')
    path = root / relative
    if not path.is_file():
        raise FileNotFoundError(f'{name}: no such bundled config ({path})')
    return path


def resolve_config(config: str) -> Path:
    """``mmsde::<folder>/<file>.py`` from the package, any other config as
    the path it is.

    Raises:
        FileNotFoundError: Neither names a file.
    """
    if config.startswith(PREFIX):
        return bundled_config(config)
    path = Path(config)
    if not path.is_file():
        raise FileNotFoundError(f'config file not found: {config}')
    return path
