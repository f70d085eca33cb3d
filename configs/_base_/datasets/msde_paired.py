# MSD-E with paired training samples for the paired / contrastive /
# distillation algorithms: each training sample is one [non_masked, masked]
# pair of a subject (views='paired'), both images augmented with the same
# random draws (PairedTransform over msde.py's train_augment), packed as a
# list of two tensors; the model's PairedClsDataPreprocessor (the default of
# the paired algorithms) turns a batch into [batch_nm, batch_m].
# Validation and test stay single-view (views='both', MaskedFERMetric).
_base_ = './msde.py'

train_pipeline = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms={{_base_.train_augment}}),
    dict(type='PackInputs', algorithm_keys={{_base_.fer_keys}}),
]
train_dataloader = dict(
    dataset=dict(views='paired', pipeline=train_pipeline))
