"""Registration of mmsde's modules into MMPretrain's registries."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register MMPretrain's and mmsde's modules into the registries.

    Configs usually do this through
    ``custom_imports = dict(imports=['mmsde'], allow_failed_imports=False)``;
    this function serves scripts and notebooks that build modules directly.

    Args:
        init_default_scope: Make ``mmpretrain`` the default scope, where all
            mmsde modules live.
    """
    from mmpretrain.utils import register_all_modules as register_mmpretrain

    import mmsde.apis  # noqa: F401
    import mmsde.datasets  # noqa: F401
    import mmsde.engine  # noqa: F401
    import mmsde.evaluation  # noqa: F401
    import mmsde.models  # noqa: F401
    register_mmpretrain(init_default_scope=False)
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmpretrain', scope_name='mmpretrain')
    elif current.scope_name != 'mmpretrain':
        warnings.warn(f'the current default scope "{current.scope_name}" is '
                      'not "mmpretrain"; a new one named mmpretrain-<time> '
                      'becomes the default')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(
            f'mmpretrain-{stamp}', scope_name='mmpretrain')
