# The synthetic benchmark (112 px, batch 32) with paired training samples,
# as msde_paired.py does for MSD-E: [non_masked, masked] pairs with the same
# augmentation draws; single-view validation and test.
_base_ = './synthetic_msde.py'

img_size = 112
fer_keys = ('masked', 'subject', 'pair_id')
# synthetic_msde.py's train_pipeline between loading and packing
paired_augment = [
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
train_pipeline = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms=paired_augment),
    dict(type='PackInputs', algorithm_keys=fer_keys),
]
train_dataloader = dict(
    dataset=dict(views='paired', pipeline=train_pipeline))
