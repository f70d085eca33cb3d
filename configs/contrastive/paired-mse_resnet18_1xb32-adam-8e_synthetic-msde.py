# The MSD-E authors' paired ("contrastive") scheme on the synthetic
# benchmark: a shared ResNet-18 sees both images of each
# [non_masked, masked] pair; loss = alpha * MSE(normalised layer4 maps)
# + beta * (CE_nm + CE_m), alpha = beta = 1. Evaluated on masked and
# non-masked test images. CPU-sized schedule: 8 epochs, lr /10 at 5 and 7.
_base_ = [
    '../_base_/models/resnet18_fer.py',
    '../_base_/datasets/synthetic_msde_paired.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='PairedClassifier',
    # alpha
    paired_loss=dict(type='PairedFeatureLoss', loss_weight=1.0),
    # beta
    head=dict(loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_cfg = dict(max_epochs=8)
param_scheduler = dict(milestones=[5, 7])
