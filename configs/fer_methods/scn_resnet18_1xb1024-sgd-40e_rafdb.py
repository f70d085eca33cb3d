# SCN (Wang et al., CVPR 2020, https://arxiv.org/abs/2002.10392) on RAF-DB
# basic with the paper's settings (Sec. 4.2): ResNet-18 from MS-Celeb-1M
# weights, 224 px aligned faces, batch 1024, learning rate 0.1 divided by 10
# after epochs 15 and 30, 40 epochs; beta 0.7, rank margin 0.15, relabel
# margin 0.2 on the low-importance group from epoch 10. The paper does not
# name the optimiser: SGD (momentum 0.9, weight decay 1e-4) as the authors'
# code's SGD option. Augmentation: the rafdb base's (MSD-E's list), not the
# authors' flip / Gaussian noise / random erasing. RAF-DB has no validation
# split: the last checkpoint is kept (no best-on-test selection).
# Published: 87.03% RAF-DB test accuracy (RAF-DB training only; 88.14% with
# extra data). One GPU with batch 1024 (an estimated 40 GiB at 224 px, not
# measured); the rank groups are per process, so 8 GPUs x 128 is not the
# same loss.
_base_ = [
    '../_base_/models/resnet18_fer_msceleb.py',
    '../_base_/datasets/rafdb.py',
    '../_base_/default_runtime.py',
    '../_base_/models/fer_method_parts.py',
]

model = dict(head={{_base_.scn_head_batch1024}})
custom_hooks = [dict(type='SCNRelabelHook', start_epoch=10)]
train_dataloader = dict(batch_size=1024, num_workers=8)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[15, 30], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
default_hooks = dict(checkpoint=dict(save_best=None, rule=None))
