# The synthetic benchmark (112 px, batch 32) with paired training samples,
# as msde_paired.py does for MSD-E: [non_masked, masked] pairs with the same
# augmentation draws; single-view validation and test.
_base_ = './synthetic_msde.py'

train_pipeline = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms={{_base_.train_augment}}),
    dict(type='PackInputs', algorithm_keys={{_base_.fer_keys}}),
]
train_dataloader = dict(
    dataset=dict(views='paired', pipeline=train_pipeline))
