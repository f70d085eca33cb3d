# Masked AffectNet: the manually annotated images (obtained from its
# authors) under data/affectnet in the official layout, 7 classes (Contempt
# and the non-expression codes left out and counted), a masked copy of every
# image in data/affectnet/masked, written by
#   python tools/dataset_converters/mask_dataset.py AffectNet data/affectnet
# (masks placed from AffectNet's own 68 landmarks, turned with the head).
# As AffectNet papers do: the official validation set is the test set (and
# validated on: checkpoints are not picked on it, configs keep the last),
# and training samples the classes evenly (ClassBalancedSampler).
_base_ = './msde.py'

dataset_type = 'AffectNet'
data_root = 'data/affectnet'
affectnet_args = dict(type=dataset_type, data_root=data_root,
                      masked_dir='masked', num_classes=7)
paired_train_pipeline = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms={{_base_.train_augment}}),
    dict(type='PackInputs', algorithm_keys={{_base_.fer_keys}}),
]
train_dataloader = dict(
    batch_size=96,
    sampler=dict(_delete_=True, type='ClassBalancedSampler'),
    dataset=dict(_delete_=True, **affectnet_args, split='train',
                 views='both', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, **affectnet_args, split='test', views='both',
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
