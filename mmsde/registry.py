"""mmsde's scope in MMEngine's registry tree.

mmsde registers its components into MMPretrain's registries, and its configs
run with ``default_scope='mmpretrain'``. A config that inherits one of
mmsde's through ``_base_ = ['mmsde::<folder>/<file>.py']`` gets MMEngine's
``_scope_='mmsde'`` stamped on every dict it inherits; building such a dict
looks for registries of scope ``mmsde``. These children of MMPretrain's
registries are those: empty, they hand every lookup to MMPretrain (and from
there to MMEngine), so mmsde's and MMPretrain's modules resolve alike.

Importing :mod:`mmsde` also tells MMEngine's config parser that the
``mmsde::`` prefix names this package (:func:`register_config_scope`).
"""
from pathlib import Path

import mmengine.config.config as mmengine_config
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

SCOPE = 'mmsde'


def _child(parent: Registry) -> Registry:
    """An empty registry of scope ``mmsde`` under ``parent``."""
    return Registry(parent.name, parent=parent, scope=SCOPE,
                    locations=[SCOPE])


RUNNERS = _child(mmpretrain_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child(mmpretrain_registry.RUNNER_CONSTRUCTORS)
LOOPS = _child(mmpretrain_registry.LOOPS)
HOOKS = _child(mmpretrain_registry.HOOKS)
LOG_PROCESSORS = _child(mmpretrain_registry.LOG_PROCESSORS)
OPTIMIZERS = _child(mmpretrain_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _child(mmpretrain_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child(mmpretrain_registry.PARAM_SCHEDULERS)
DATASETS = _child(mmpretrain_registry.DATASETS)
DATA_SAMPLERS = _child(mmpretrain_registry.DATA_SAMPLERS)
TRANSFORMS = _child(mmpretrain_registry.TRANSFORMS)
MODELS = _child(mmpretrain_registry.MODELS)
MODEL_WRAPPERS = _child(mmpretrain_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child(mmpretrain_registry.WEIGHT_INITIALIZERS)
BATCH_AUGMENTS = _child(mmpretrain_registry.BATCH_AUGMENTS)
TASK_UTILS = _child(mmpretrain_registry.TASK_UTILS)
METRICS = _child(mmpretrain_registry.METRICS)
EVALUATORS = _child(mmpretrain_registry.EVALUATORS)
VISUALIZERS = _child(mmpretrain_registry.VISUALIZERS)
VISBACKENDS = _child(mmpretrain_registry.VISBACKENDS)


def installed_path(package: str, _find=mmengine_config.get_installed_path
                   ) -> str:
    """MMEngine's ``get_installed_path``, except that ``mmsde`` is the folder
    of the imported package. MMEngine joins the distribution's location with
    the package name, which misses an editable install (PEP 660: the
    package stays in the checkout, only its metadata is in site-packages);
    every other package gets MMEngine's answer."""
    if package == SCOPE:
        return str(Path(__file__).resolve().parent)
    return _find(package)


def register_config_scope() -> None:
    """Let configs name mmsde's bundled configs as ``mmsde::<path>``.

    MMEngine's parser accepts only the packages of its ``MODULE2PACKAGE``
    table, which has no hook for plugins, so the entry is added when mmsde
    is imported (the tools import it before they parse a config); its
    parser finds the package through :func:`installed_path`.
    """
    MODULE2PACKAGE.setdefault(SCOPE, 'mmsde')
    mmengine_config.get_installed_path = installed_path
