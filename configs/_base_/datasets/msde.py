# MSD-E (obtained from its authors) in their layout under data/msde:
# MSD-E/, MSD-ME/, Paired_files.txt. 224x224 inputs, batch 96, the authors'
# augmentation list; subject-disjoint fold 0 of 10, with 10% of the training
# subjects held out for checkpoint selection (the test fold never is).
dataset_type = 'MSDE'
data_root = 'data/msde'
fold = 0
num_folds = 10
val_ratio = 0.1
img_size = 224
# how tools/crop_faces.py and the inferencer crop photos for these models:
# 5-point alignment at the training size. MSD-E's own images were cropped by
# its authors; crop raw photos the same way for training and inference with
#   python tools/crop_faces.py RAW/ data/msde --size 224
face_crop = dict(size=224, margin=0.0, align='auto')

data_preprocessor = dict(
    num_classes=7,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

fer_keys = ('masked', 'subject', 'pair_id')
# the authors' augmentation (views='paired' applies it to both images alike)
train_augment = [
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='HueSaturationValue', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.2, contrast=0.2)],
        prob=0.5),
    dict(type='ShiftScaleRotate', shift_limit=0.0625, scale_limit=0.1,
         rotate_limit=3, prob=0.5),
    dict(type='ShiftScaleRotate', shift_limit=0., scale_limit=0.,
         rotate_limit=0., scale_range=(1.0, 1.25), prob=0.5),
]
train_pipeline = [dict(type='LoadImageFromFile')] + train_augment + [
    dict(type='PackInputs', algorithm_keys=fer_keys)
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs', algorithm_keys=fer_keys),
]

fold_args = dict(
    type=dataset_type,
    data_root=data_root,
    fold=fold,
    num_folds=num_folds,
    val_ratio=val_ratio)
train_dataloader = dict(
    batch_size=96,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        **fold_args, split='train', views='both', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **fold_args, split='val', views='both', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **fold_args, split='test', views='both', pipeline=test_pipeline))

# accuracy and macro-F1 on non-masked, masked and all images
val_evaluator = dict(type='MaskedFERMetric')
test_evaluator = val_evaluator
