# RAF-DB basic (obtained from its authors) under data/rafdb: EmoLabel/ and
# Image/aligned/ (100x100 aligned faces), the native train/test split
# (12,271 / 3,068 images), upsampled to 224 px as the SCN and DAN papers
# do, with MSD-E's augmentation list. RAF-DB has no identities and no
# validation split: papers report the test split, so it is also validated
# on here, and checkpoints are not picked on it (configs keep the last).
# Masked copies (e.g. from tools/dataset_converters/add_synthetic_masks.py
# or a SyntheticFaceMask pipeline) go in masked_dir.
_base_ = './msde.py'

dataset_type = 'RAFDB'
data_root = 'data/rafdb'
rafdb_args = dict(type=dataset_type, data_root=data_root, masked_dir=None)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(_delete_=True, **rafdb_args, split='train',
                 views='non_masked',
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, **rafdb_args, split='test', views='both',
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
