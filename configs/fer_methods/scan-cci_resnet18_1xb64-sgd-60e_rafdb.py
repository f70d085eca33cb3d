# SCAN-CCI (Gera & Balasubramanian 2020, https://arxiv.org/abs/2007.10298)
# on RAF-DB basic with the authors' RAF-DB settings: 224 px, batch 64, SGD
# (momentum 0.9, weight decay 1e-3), learning rate 0.01 for the two branches
# and 1e-4 for the backbone, multiplied by 0.95 after every epoch, 60
# epochs, horizontal flip and colour jitter (0.4, 0.3, 0.25, 0.05). Not
# reproduced: their class-balanced resampling sampler, their [-1, 1] input
# scaling (the ImageNet mean/std of the MS-Celeb-1M checkpoint is kept) and
# their VGGFace2 ResNet-50 (see scan-cci_resnet50-layer3_...). ResNet-18 from
# the MS-Celeb-1M weights (baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py)
# truncated after layer3; its layer4 keys are skipped (strict=False).
# Published: 89.02% RAF-DB test accuracy (ResNet-50, VGGFace2).
_base_ = [
    '../_base_/models/resnet18_fer_msceleb.py',
    '../_base_/datasets/rafdb.py',
    '../_base_/default_runtime.py',
    '../_base_/models/fer_method_parts.py',
]

model = dict(
    backbone={{_base_.scan_cci_backbone}},
    neck=None,
    head={{_base_.scan_cci_head}})

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # the authors' ColorJitter(0.4, 0.3, 0.25, 0.05); its hue part by
    # HueSaturationValue (0.05 of the hue circle = 9 OpenCV units), since
    # mmcv 2.1's adjust_hue overflows on negative hue factors with numpy 2
    dict(type='ColorJitter', brightness=0.4, contrast=0.3, saturation=0.25),
    dict(type='HueSaturationValue', hue_shift=9, sat_shift=0, val_shift=0,
         prob=1.0),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-3),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.01)}))
param_scheduler = dict(type='ExponentialLR', gamma=0.95, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
