"""Face pretraining: the generated identity set, the cached backbone and the
``face-pretrain://`` checkpoints that FER configs start from."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from e2e_helpers import REPO
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader

from mmsde.apis import cached_backbone_path, pretrain_faces
from mmsde.datasets import generate_synthetic_identities
from mmsde.datasets.identity_writer import META_FILE
from mmsde.synthetic import make_identity, restaged

SYNTHETIC_PRETRAIN = (REPO / 'configs' / 'face_pretrain' /
                      'resnet18_1xb64-adam-4e_synthetic-identities-64px.py')
SCENES_PRETRAIN = SYNTHETIC_PRETRAIN.with_name(
    'resnet18_1xb64-adam-4e_synthetic-identities-scenes-64px.py')


def _identity_signature(seed: int, subject: int) -> tuple:
    ident = make_identity(seed, subject)
    return (tuple(np.round(ident.skin, 3)), tuple(np.round(ident.hair, 3)),
            ident.hair_style, tuple(np.round(ident.face_axes, 3)),
            round(ident.eye_dx, 3), round(ident.jaw, 3))


def test_identity_set_layout_and_disjoint_from_benchmark(tmp_path):
    summary = generate_synthetic_identities(
        tmp_path / 'ids', num_identities=6, images_per_identity=3,
        img_size=32, seed=0)
    folders = sorted(p for p in (tmp_path / 'ids').iterdir() if p.is_dir())
    assert [p.name for p in folders] == [f'{s:05d}'
                                         for s in range(1000, 1006)]
    assert all(len(list(p.glob('*.png'))) == 3 for p in folders)
    assert summary['num_images'] == 18
    meta = json.loads((tmp_path / 'ids' / META_FILE).read_text())
    assert meta['first_subject'] == 1000 and meta['generator_version'] >= 1
    # no person of the set is one of the 142 benchmark subjects
    benchmark = {_identity_signature(0, s) for s in range(1, 143)}
    people = {_identity_signature(0, int(p.name)) for p in folders}
    assert not people & benchmark
    # expressions vary within a person
    labels = {f.stem.split('_', 1)[1] for p in folders for f in p.glob('*')}
    assert len(labels) > 1
    with pytest.raises(ValueError, match='first_subject must be >= 1000'):
        generate_synthetic_identities(tmp_path / 'x', first_subject=142)
    with pytest.raises(FileExistsError, match='not empty'):
        generate_synthetic_identities(tmp_path / 'ids', num_identities=6)


def test_scene_per_image_keeps_the_face_and_changes_the_scene(tmp_path):
    """With one scene per person, the border pixels (background, shirt) of
    a person's images stay alike; drawn per image, they differ far more,
    while the person's face parameters are untouched."""
    def border_spread(root):
        spreads = []
        for person in sorted(p for p in root.iterdir() if p.is_dir()):
            imgs = [cv2.imread(str(f)).astype(float)
                    for f in sorted(person.glob('*.png'))]
            borders = np.stack([np.r_[im[:4].reshape(-1, 3),
                                      im[-4:].reshape(-1, 3)].mean(0)
                                for im in imgs])
            spreads.append(borders.std(0).mean())
        return float(np.mean(spreads))

    kwargs = dict(num_identities=4, images_per_identity=4, img_size=48)
    generate_synthetic_identities(tmp_path / 'one', **kwargs)
    meta = generate_synthetic_identities(tmp_path / 'many',
                                         scene_per_image=True, **kwargs)
    assert meta['scene_per_image'] is True
    assert border_spread(tmp_path / 'many') > 4 * border_spread(
        tmp_path / 'one')
    ident = make_identity(0, 1000)
    moved = restaged(ident, np.random.default_rng(1))
    assert moved.face_axes == ident.face_axes and moved.eye_dx == ident.eye_dx
    assert not np.allclose(moved.background, ident.background)


def test_shipped_config_keys_and_scheme_error(tmp_path, monkeypatch):
    monkeypatch.setenv('MMSDE_CACHE', str(tmp_path))
    path = cached_backbone_path(str(SYNTHETIC_PRETRAIN))
    assert path.parent == tmp_path / 'face_pretrain'
    assert path.name.startswith(SYNTHETIC_PRETRAIN.stem + '-')
    changed = cached_backbone_path(str(SYNTHETIC_PRETRAIN),
                                   {'train_cfg.max_epochs': 5})
    assert changed != path  # the key covers the config
    with pytest.raises(FileNotFoundError, match='tools/face_pretrain.py'):
        CheckpointLoader.load_checkpoint(
            f'face-pretrain://{SYNTHETIC_PRETRAIN}')


def test_scenes_config_draws_scenes_into_its_own_set(tmp_path, monkeypatch):
    """The scene-per-image set lives beside the one-scene set (neither
    regenerates the other) and has its own cache key."""
    monkeypatch.setenv('MMSDE_CACHE', str(tmp_path))
    one, scenes = (Config.fromfile(str(p))
                   for p in (SYNTHETIC_PRETRAIN, SCENES_PRETRAIN))
    assert scenes.identity_set == dict(one.identity_set, scene_per_image=True)
    assert scenes.train_dataloader.dataset.data_root != \
        one.train_dataloader.dataset.data_root
    assert cached_backbone_path(str(SCENES_PRETRAIN)) != \
        cached_backbone_path(str(SYNTHETIC_PRETRAIN))


def _tiny_pretrain_config(tmp_path: Path) -> Path:
    config = tmp_path / 'tiny_face_pretrain.py'
    config.write_text(f"""_base_ = '{SYNTHETIC_PRETRAIN}'
identity_set = dict(num_identities=4, images_per_identity=4, img_size=32,
                    seed=0)
data_root = '{tmp_path / 'ids'}'
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root))
model = dict(head=dict(num_classes=4))
train_cfg = dict(max_epochs=1)
param_scheduler = dict(T_max=1)
""")
    return config


def test_pretrain_caches_backbone_that_initialises_fer_model(
        tmp_path, monkeypatch):
    from mmpretrain.registry import MODELS

    from mmsde.utils import register_all_modules
    register_all_modules()
    monkeypatch.setenv('MMSDE_CACHE', str(tmp_path / 'cache'))
    config = _tiny_pretrain_config(tmp_path)
    target = pretrain_faces(str(config), work_dir=str(tmp_path / 'run'))
    assert target == cached_backbone_path(str(config))
    saved = torch.load(target, weights_only=True)
    assert saved['state_dict'] and all(
        k.startswith('backbone.') for k in saved['state_dict'])
    assert (tmp_path / 'ids' / META_FILE).is_file()
    stamp = target.stat().st_mtime_ns
    assert pretrain_faces(str(config)) == target  # cached: not retrained
    assert target.stat().st_mtime_ns == stamp

    fer = Config.fromfile(str(REPO / 'configs' / 'baseline' / 'resnet18_1xb32'
                              '-adam-24e_synthetic-msde-nonmasked.py'))
    fer.model.backbone.init_cfg = dict(
        type='Pretrained', prefix='backbone.',
        checkpoint=f'face-pretrain://{config}')
    model = MODELS.build(fer.model)
    model.init_weights()
    own = model.backbone.state_dict()
    expected = {k[len('backbone.'):]: v
                for k, v in saved['state_dict'].items()}
    assert set(own) == set(expected)  # every backbone key matched
    for key, value in expected.items():
        assert torch.equal(own[key], value), key

    # a backbone that does not fit: MMEngine's warning names the keys
    logged = []
    monkeypatch.setattr('mmengine.runner.checkpoint.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    fer.model.backbone.depth = 34
    MODELS.build(fer.model).init_weights()
    assert any('missing keys in source state_dict' in m
               and 'layer1.2.conv1.weight' in m for m in logged)


def test_num_classes_mismatch_named_before_training(tmp_path, monkeypatch):
    monkeypatch.setenv('MMSDE_CACHE', str(tmp_path / 'cache'))
    config = _tiny_pretrain_config(tmp_path)
    with pytest.raises(ValueError, match='has 4 person folders but '
                       'model.head.num_classes is 9'):
        pretrain_faces(str(config), {'model.head.num_classes': 9},
                       work_dir=str(tmp_path / 'run'))
