# RetinaNet R-18-FPN trained from scratch on generated face scenes
# (mmsde.synthetic.scenes, written in WIDER FACE's VOC layout by
# tools/dataset_converters/make_face_scenes.py), 160 px, for CPU
# machines and tests: slim FPN and head (64 channels), no download.
# A plain MMDetection config (the dataset is WIDERFaceDataset).
_base_ = './retinanet_r18_fpn_1x_widerface.py'

data_root = 'data/face_scenes/'
img_scale = (160, 160)
channels = 64

model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(out_channels=channels),
    bbox_head=dict(
        in_channels=channels,
        feat_channels=channels,
        stacked_convs=2,
        # smallest anchor 24 px: faces in 160 px scenes are 16-80 px
        anchor_generator=dict(octave_base_scale=3)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        # scenes without faces are kept: they teach the background
        filter_cfg=dict(filter_empty_gt=False, bbox_min_size=None,
                        min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True,
         milestones=[8, 11], gamma=0.1)
]
default_hooks = dict(logger=dict(interval=10))
auto_scale_lr = dict(base_batch_size=8)
