# Masked RAF-DB: RAF-DB basic (rafdb.py) with a masked copy of every aligned
# face in data/rafdb/masked, written by
#   python tools/dataset_converters/mask_dataset.py RAFDB data/rafdb --aligned
# (masks from the aligned template, turned with the head, every image
# masked or listed in masked/masks.jsonl). Tested on both views of the test
# split; views='paired' trains on [non_masked, masked] pairs.
_base_ = './rafdb.py'

rafdb_args = dict(masked_dir='masked')
paired_train_pipeline = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms={{_base_.train_augment}}),
    dict(type='PackInputs', algorithm_keys={{_base_.fer_keys}}),
]
train_dataloader = dict(dataset=dict(masked_dir='masked', views='both'))
val_dataloader = dict(dataset=dict(masked_dir='masked'))
test_dataloader = val_dataloader
