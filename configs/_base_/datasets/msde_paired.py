# MSD-E with paired training samples for the paired / contrastive
# algorithms: each training sample is one [non_masked, masked] pair of a
# subject (views='paired'), both images augmented with the same random
# draws (PairedTransform), packed as a list of two tensors; the model's
# PairedClsDataPreprocessor (the default of PairedClassifier and
# SupConClassifier) turns a batch into [batch_nm, batch_m].
# Validation and test stay single-view (views='both', MaskedFERMetric).
_base_ = './msde.py'

img_size = 224
fer_keys = ('masked', 'subject', 'pair_id')
# msde.py's train_pipeline between loading and packing
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
