"""A tiny trained face detector for the tests: generated scenes, a slim
RetinaNet trained for a few iterations with ``tools/train.py`` in a
subprocess (training in the test process would leave MMDetection's default
scope behind for the tests that follow). A plain module, like
``e2e_helpers``; ``conftest.py`` wraps it in the session fixture
``tiny_face_detector``."""
import contextlib
import sys
from pathlib import Path
from typing import Iterator, Tuple

from e2e_helpers import REPO, run_tool

SCENES_CONFIG = (REPO / 'configs' / 'face_detection' /
                 'retinanet_r18_fpn_1xb8-12e_face-scenes-160.py')
TINY_CONFIG_NAME = 'tiny_face_retinanet.py'


def write_tiny_face_config(path: Path, data_root: Path, max_iters: int = 12,
                           img_size: int = 96, batch_size: int = 4) -> Path:
    """Write a config that inherits the scenes config and trains a slimmer
    RetinaNet (ResNet-18 at a quarter of its width, 32-channel FPN and head)
    on ``data_root`` for ``max_iters`` iterations, no validation, one
    checkpoint at the end, no data-loading workers."""
    path.write_text(f"""_base_ = '{SCENES_CONFIG}'
img_scale = ({img_size}, {img_size})
model = dict(
    backbone=dict(base_channels=16),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    bbox_head=dict(in_channels=32, feat_channels=32, stacked_convs=1))
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data_root}', pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='PackDetInputs')]))
test_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data_root}', ann_file='train.txt',
                 data_prefix=dict(img='WIDER_train'), pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='PackDetInputs', meta_keys=(
            'img_id', 'img_path', 'ori_shape', 'img_shape',
            'scale_factor'))]))
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters={max_iters})
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                        begin=0, end=5)]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(_delete_=True, type='CheckpointHook', by_epoch=False,
                    interval={max_iters}),
    visualization=dict(draw=False))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
""")
    return path


def train_tiny_face_detector(work_dir: Path, num_scenes: int = 16,
                             max_iters: int = 12) -> Tuple[Path, Path]:
    """Generate ``num_scenes`` 96 px scenes under ``work_dir/scenes`` and
    train a tiny RetinaNet on them from scratch with ``tools/train.py``.

    Returns:
        tuple: ``(config_path, checkpoint_path)``: the complete config that
        the run dumped (no ``_base_``; its test pipeline is what
        ``mmdet.apis.inference_detector`` uses) and the final checkpoint,
        both for ``mmdet.apis.init_detector``.
    """
    from mmsde.datasets.wider_face import generate_face_scenes
    work_dir = Path(work_dir)
    scenes = work_dir / 'scenes'
    generate_face_scenes(scenes, num_scenes=num_scenes, img_size=96,
                         seed=0, num_faces=(0, 3), face_size=(0.25, 0.6),
                         overwrite=True)
    config = write_tiny_face_config(work_dir / TINY_CONFIG_NAME, scenes,
                                    max_iters=max_iters, img_size=96)
    run_tool(sys.executable, REPO / 'tools' / 'train.py', config,
             '--work-dir', work_dir)
    checkpoint = work_dir / f'iter_{max_iters}.pth'
    assert checkpoint.is_file(), f'no checkpoint {checkpoint} was written'
    # the runner dumped the merged config over the one written above
    return config, checkpoint


@contextlib.contextmanager
def mmdet_scope() -> Iterator[None]:
    """Make ``mmdet`` the default scope inside the block and restore the
    previous one after it (``init_detector`` would otherwise leave it on
    for the tests that follow)."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield
