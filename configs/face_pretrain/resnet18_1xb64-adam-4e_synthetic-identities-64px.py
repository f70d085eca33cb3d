# Face pretraining for the bundled synthetic benchmark, as MS-Celeb-1M is for
# MSD-E: ResNet-18 classifies 300 generated people (12 images each, varied
# expressions, no masks, none of them a benchmark subject) at the synthetic
# FER configs' 64 px. tools/face_pretrain.py generates the set
# (identity_set below) into data_root, trains once and caches the backbone
# outside the repo, keyed by the generator version and this config:
#   python tools/face_pretrain.py \
#       configs/face_pretrain/resnet18_1xb64-adam-4e_synthetic-identities-64px.py
_base_ = './resnet18_1xb256-sgd-20e_face-identities.py'

identity_set = dict(
    num_identities=300, images_per_identity=12, img_size=112, seed=0)
data_root = 'data/synthetic_identities'
img_size = 64
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
    batch_size=64,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
model = dict(head=dict(num_classes=identity_set['num_identities']))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(T_max=4)
train_cfg = dict(max_epochs=4)
default_hooks = dict(logger=dict(interval=20))
auto_scale_lr = dict(base_batch_size=64)
randomness = dict(seed=0)
