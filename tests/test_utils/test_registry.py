"""mmsde's modules are found through MMPretrain's registries after
``custom_imports``, in a fresh interpreter."""
import sys
import textwrap

from e2e_helpers import REPO, run_tool

CHECK = textwrap.dedent("""
    from mmengine.config import Config
    from mmengine.utils import import_modules_from_strings
    cfg = Config.fromfile('{config}')
    import_modules_from_strings(**cfg.custom_imports)
    from mmpretrain.registry import (DATASETS, HOOKS, METRICS, MODELS,
                                     TRANSFORMS)
    assert cfg.default_scope == 'mmpretrain', cfg.default_scope
    for registry, name in [(DATASETS, 'MSDE'), (DATASETS, 'MaskedFERDataset'),
                           (DATASETS, 'RAFDB'), (DATASETS, 'FER2013'),
                           (TRANSFORMS, 'PairedTransform'),
                           (TRANSFORMS, 'LoadImagePair'),
                           (TRANSFORMS, 'SyntheticFaceMask'),
                           (METRICS, 'MaskedFERMetric'),
                           (MODELS, 'PairedClassifier'),
                           (MODELS, 'SupConClassifier'),
                           (MODELS, 'MaskedFERDistiller'),
                           (MODELS, 'SupConLoss'),
                           (MODELS, 'PairedFeatureLoss'),
                           (MODELS, 'FeatureDistillLoss'),
                           (MODELS, 'LogitDistillLoss'),
                           (MODELS, 'PairedClsDataPreprocessor'),
                           (HOOKS, 'TeacherCacheHook'),
                           (MODELS, 'ImageClassifier')]:
        assert registry.get(name) is not None, (registry.name, name)
        print(registry.name, name, 'ok')
""")


def test_custom_imports_register_mmsde():
    config = (REPO / 'configs' / 'baseline' /
              'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py')
    proc = run_tool(sys.executable, '-c', CHECK.format(config=config))
    assert proc.stdout.count(' ok') == 18


def test_register_all_modules_sets_scope():
    code = ('from mmsde.utils import register_all_modules\n'
            'register_all_modules()\n'
            'from mmengine.registry import DefaultScope\n'
            'from mmpretrain.registry import DATASETS\n'
            'print(DefaultScope.get_current_instance().scope_name)\n'
            'print(DATASETS.build(dict(type="MSDE", data_root="x", '
            'lazy_init=True)).__class__.__name__)\n')
    proc = run_tool(sys.executable, '-c', code)
    assert proc.stdout.split() == ['mmpretrain', 'MSDE']
