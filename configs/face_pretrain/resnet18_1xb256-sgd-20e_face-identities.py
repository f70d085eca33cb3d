# ResNet-18 pretrained by identity classification on a face-identity set in
# the folder layout (configs/_base_/datasets/face_identities.py): the
# stand-in for the MS-Celeb-1M weights that the MSD-E paper starts from.
# Set data_root to the set and num_classes to its number of people, e.g.
# CASIA-WebFace (10,575 people):
#   python tools/face_pretrain.py \
#       configs/face_pretrain/resnet18_1xb256-sgd-20e_face-identities.py \
#       --cfg-options train_dataloader.dataset.data_root=data/casia \
#       model.head.num_classes=10575
# FER configs then start from the backbone through
#   init_cfg=dict(type='Pretrained', prefix='backbone.',
#                 checkpoint='face-pretrain://<this config>')
_base_ = [
    '../_base_/models/resnet18_fer.py',
    '../_base_/datasets/face_identities.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=10575, topk=(1, )))
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=20)
train_cfg = dict(by_epoch=True, max_epochs=20)
# no validation set: keep the last checkpoint only
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
auto_scale_lr = dict(base_batch_size=256)
