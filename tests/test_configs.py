"""Every config under configs/ builds its model and its datasets (on the
tiny synthetic benchmark), and the model runs a forward pass."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, HOOKS, MODELS

import mmsde  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
# grid specs (tests/test_apis/test_grid.py loads them) are no model configs
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts and 'grids' not in p.parts)
# MMDetection configs, tested in tests/test_tools/test_face_detector.py
DETECTION_DIRS = ('face_detection', )


def test_configs_found():
    assert len(CONFIGS) >= 6


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if p.parent.name not in DETECTION_DIRS],
    ids=lambda p: p.stem)
def test_config_builds(path, tiny_msde, tiny_rafdb, tiny_affectnet):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports['imports'] == ['mmsde']
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor'):  # as the runner merges it
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    for hook in cfg.get('custom_hooks', []):
        HOOKS.build(hook)
    model.eval()
    size = cfg.get('img_size', 224)
    # grey models (configs/real_faces) normalise one channel
    channels = len(cfg.get('data_preprocessor', {}).get('mean', [0] * 3))
    with torch.no_grad():
        logits = model(torch.rand(2, channels, size, size))
    if path.parent.name == 'face_pretrain':  # identity classification
        assert logits.shape == (2, cfg.model.head.num_classes)
        assert cfg.train_dataloader.dataset.type == 'CustomDataset'
        return
    assert logits.shape == (2, 7)
    for split in ('train', 'val', 'test'):
        dataset_cfg = cfg[f'{split}_dataloader'].dataset
        if 'data_root' not in dataset_cfg:
            continue
        if dataset_cfg.type == 'RAFDB':  # its own layout, native split
            dataset_cfg.data_root = str(tiny_rafdb)
        elif dataset_cfg.type == 'AffectNet':
            dataset_cfg.data_root = str(tiny_affectnet)
        else:
            dataset_cfg.data_root = str(tiny_msde)
            dataset_cfg.num_folds = 5
        dataset = DATASETS.build(dataset_cfg)
        sample = dataset[0]
        assert sample['data_samples'].gt_label.item() in range(7)
        assert hasattr(sample['data_samples'], 'masked')


@pytest.mark.parametrize(
    'folder', sorted({p.parent for p in CONFIGS}), ids=lambda p: p.name)
def test_config_folder_has_readme_with_results(folder):
    readme = (folder / 'README.md').read_text()
    results = readme.split('## Results', 1)[1]
    assert '| --- |' in results
    for config in folder.glob('*.py'):  # every config is introduced
        method = config.stem.split('_')[0]
        assert method in readme or config.name in readme, config.name


def _transforms(node):
    """Every transform dict in a config value, nested ones included."""
    if isinstance(node, dict):
        if 'type' in node:
            yield node
        for value in node.values():
            yield from _transforms(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _transforms(item)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_no_color_jitter_hue(path):
    """mmcv 2.1's adjust_hue computes np.uint8(hue_factor * 255), which
    raises OverflowError for a negative factor under numpy 2: a ColorJitter
    with hue would crash training at random."""
    cfg = Config.fromfile(str(path))
    for t in _transforms(cfg.to_dict()):
        if t['type'] in ('ColorJitter', 'mmpretrain.ColorJitter'):
            assert not t.get('hue'), f'{path.name}: ColorJitter hue'


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_bf16_configs_keep_weights_channels_last(path):
    """A config that trains in bfloat16 by default also keeps its weights
    channels-last (without it bfloat16 autocast gains far less on CPUs)."""
    cfg = Config.fromfile(str(path))
    if cfg.get('optim_wrapper', {}).get('type') != 'BF16OptimWrapper':
        return
    hooks = list(cfg.get('custom_hooks', [])) + [
        h for h in cfg.get('default_hooks', {}).values() if h is not None]
    types = [h['type'] for h in hooks]
    assert 'ChannelsLastHook' in types, f'{path.name}: hooks {types}'


@pytest.mark.parametrize('name', [
    'baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked',
    'baseline/resnet18_1xb32-adam-12e_synthetic-msde-both',
    'distillation/featkd-cached_resnet18_1xb32-adam-24e_synthetic-msde',
    'contrastive/supcon-joint_resnet18_1xb16-adam-12e_synthetic-msde',
    'fer_methods/scn_resnet18_1xb32-adam-12e_synthetic-msde-both',
])
def test_synthetic_cpu_configs_default_to_bf16_with_fallback(name):
    cfg = Config.fromfile(str(REPO / 'configs' / f'{name}.py'))
    assert cfg.optim_wrapper.type == 'BF16OptimWrapper'
    assert cfg.optim_wrapper.fp32_fallback
    assert cfg.default_hooks.channels_last.type == 'ChannelsLastHook'
