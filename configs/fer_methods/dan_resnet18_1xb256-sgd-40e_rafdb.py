# DAN (Wen et al., https://arxiv.org/abs/2109.07270) on RAF-DB basic with
# the authors' RAF-DB recipe (their rafdb.py): ResNet-18 from MS-Celeb-1M
# weights, 224 px, batch 256, SGD lr 0.1, momentum 0.9, weight decay 1e-4
# (the affinity centres included), lr / 10 every 10 epochs, 40 epochs, and
# their augmentation (flip; with p 0.2 rotation within 20 degrees and a
# 224 crop of the 32-px zero-padded image; random erasing of 2-25% of the
# image with p 0.5, filled with the mean colour as 0 after normalisation
# is). Published: 89.70% test accuracy (their best epoch, 21).
_base_ = [
    '../_base_/models/resnet18_fer_msceleb.py',
    '../_base_/datasets/rafdb.py',
    '../_base_/default_runtime.py',
    '../_base_/models/fer_method_parts.py',
]

model = dict(neck={{_base_.dan_neck}}, head={{_base_.dan_head}})

dan_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        prob=0.2,
        transforms=[
            dict(type='NumpyToPIL'),
            dict(type='torchvision/RandomRotation', degrees=20),
            dict(type='PILToNumpy'),
            dict(type='RandomCrop', crop_size=224, padding=32),
        ]),
    # BGR mean of the data preprocessor: 0 once normalised
    dict(type='RandomErasing', erase_prob=0.5, min_area_ratio=0.02,
         max_area_ratio=0.25, mode='const',
         fill_color=(103.53, 116.28, 123.675)),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]
train_dataloader = dict(
    batch_size=256, dataset=dict(pipeline=dan_train_pipeline))
val_dataloader = dict(batch_size=256)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=10, gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
# RAF-DB validates on its test split: keep the last checkpoint, pick none
default_hooks = dict(checkpoint=dict(save_best=None))
