# A face-identity set in the usual folder layout, one folder per person
# (CASIA-WebFace, VGGFace2 and MS1M aligned crops are distributed this way):
#   data/face_identities/<person>/<image>.jpg
# read by MMPretrain's CustomDataset (class = folder). Crops are expected
# aligned as mmsde's FER data are (the ArcFace 5-point template, 112 px).
# No validation split: identity classification only trains the backbone.
data_root = 'data/face_identities'
img_size = 112

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.2, contrast=0.2)],
        prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        with_label=True,
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
