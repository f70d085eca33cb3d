"""Face pretraining by identity classification, cached outside the repo.

The MSD-E paper starts from a ResNet-18 trained for face recognition on
MS-Celeb-1M. :func:`pretrain_faces` trains a config of
``configs/face_pretrain/`` (any face-identity set in the folder layout, or
the generated identity set of the synthetic benchmark) once and caches its
backbone under ``$MMSDE_CACHE/face_pretrain/<config>-<key>.pth``, the key
hashing the synthetic generator's version and the whole config, as
``tools/install.sh`` keys the mmcv wheel. FER configs start from it with::

    init_cfg=dict(type='Pretrained', prefix='backbone.',
                  checkpoint='face-pretrain://mmsde::face_pretrain/X.py')

a checkpoint scheme that finds the cached file of the config as it is now,
and refuses (naming the command that builds it) when there is none.
"""
import hashlib
import json
import os.path as osp
from pathlib import Path
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader

from mmsde.datasets.identity_writer import (generate_synthetic_identities,
                                            identity_set_meta,
                                            read_identity_set_meta)
from mmsde.synthetic import GENERATOR_VERSION
from mmsde.utils.atomic import atomic_path
from mmsde.utils.bundled import resolve_config
from mmsde.utils.cache import cache_root
from mmsde.utils.model import unwrap_model

from .runner import load_config, train

SCHEME = 'face-pretrain://'


def pretrain_key(cfg: Config) -> str:
    """12 hex digits of the hash of the generator version and the config."""
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    digest = hashlib.sha256(f'{GENERATOR_VERSION}\n{text}'.encode())
    return digest.hexdigest()[:12]


def cached_backbone_path(config: str,
                         cfg_options: Optional[dict] = None) -> Path:
    """Where the backbone pretrained with ``config`` (+ options) is cached."""
    path = resolve_config(config)
    cfg = Config.fromfile(str(path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return (cache_root() / 'face_pretrain' /
            f'{path.stem}-{pretrain_key(cfg)}.pth')


def ensure_identity_set(cfg: Config) -> None:
    """Generate the config's synthetic ``identity_set`` into its data root,
    unless a set with the same parameters and generator version is there."""
    spec = cfg.get('identity_set')
    if not spec:
        return
    root = cfg.train_dataloader.dataset.data_root
    if read_identity_set_meta(root) != identity_set_meta(**spec):
        print(f'[face_pretrain] generating the identity set in {root}')
        print(generate_synthetic_identities(root, overwrite=True, **spec))


def check_num_classes(cfg: Config) -> None:
    """The head must have one class per person folder of the data root."""
    dataset = cfg.train_dataloader.dataset
    root = Path(dataset.data_root) / dataset.get('data_prefix', '')
    if not root.is_dir():
        raise FileNotFoundError(f'face-identity set not found: {root} (one '
                                'folder per person expected)')
    people = sum(1 for p in root.iterdir() if p.is_dir())
    classes = cfg.model.head.num_classes
    if people != classes:
        raise ValueError(
            f'{root} has {people} person folders but model.head.num_classes '
            f'is {classes}; set --cfg-options model.head.num_classes={people}')


def pretrain_faces(config: str,
                   cfg_options: Optional[dict] = None,
                   work_dir: Optional[str] = None,
                   force: bool = False) -> Path:
    """Train ``config`` by identity classification once; cache its backbone.

    Args:
        config: A face-pretraining config.
        cfg_options: Overrides (part of the cache key).
        work_dir: The training run's folder (default
            ``work_dirs/face_pretrain/<config name>``).
        force: Train again even if the cache has the backbone.

    Returns:
        The cached checkpoint: ``state_dict`` with the ``backbone.*`` keys,
        and ``meta`` (config, key, generator version).
    """
    target = cached_backbone_path(config, cfg_options)
    if target.is_file() and not force:
        return target
    path = resolve_config(config)
    cfg = load_config(
        str(path),
        work_dir=work_dir or osp.join('work_dirs', 'face_pretrain', path.stem),
        cfg_options=cfg_options)
    ensure_identity_set(cfg)
    check_num_classes(cfg)
    runner = train(cfg)
    model = unwrap_model(runner.model)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()
             if k.startswith('backbone.')}
    meta = dict(config=str(config), key=target.stem.rsplit('-', 1)[-1],
                generator_version=GENERATOR_VERSION,
                epochs=int(runner.epoch))
    with atomic_path(target) as tmp:  # never a half-written cache entry
        torch.save(dict(state_dict=state, meta=meta), tmp)
    return target


def load_face_pretrained(filename: str, map_location=None) -> dict:
    """Checkpoint loader of ``face-pretrain://<config>`` URLs.

    Raises:
        FileNotFoundError: The config's backbone is not cached (yet, or for
            the config as it is now); the message names the command.
    """
    config = filename[len(SCHEME):]
    target = cached_backbone_path(config)
    if not target.is_file():
        raise FileNotFoundError(
            f'{filename}: no face-pretrained backbone cached for this config '
            f'(looked for {target}); build it once with\n'
            f'    python tools/face_pretrain.py {config}')
    # written by pretrain_faces: tensors and plain metadata only
    return torch.load(target, map_location=map_location, weights_only=True)


def register_face_pretrain_scheme() -> None:
    """Let MMEngine load ``face-pretrain://`` checkpoints."""
    CheckpointLoader.register_scheme(
        prefixes=SCHEME, loader=load_face_pretrained, force=True)
