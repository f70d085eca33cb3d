# The MSD-E authors' paired ("contrastive") scheme on the synthetic
# benchmark: a shared ResNet-18 sees both images of each
# [non_masked, masked] pair; loss = alpha * MSE(normalised layer4 maps)
# + beta * (CE_nm + CE_m), alpha = beta = 1. Evaluated on masked and
# non-masked test images. The baselines' recipe at their budget: 16 pairs
# (32 images) a step for 12 epochs, the `both` baseline's steps and images.
_base_ = [
    '../_base_/models/resnet18_fer.py',
    '../_base_/datasets/synthetic_msde_paired.py',
    '../_base_/schedules/synthetic_adam_cosine_24e.py',
    '../_base_/synthetic_face_pretrained.py',
    '../_base_/synthetic_runtime.py',
]

model = dict(
    type='PairedClassifier',
    backbone=dict(init_cfg={{_base_.face_pretrained_backbone}}),
    # alpha
    paired_loss=dict(type='PairedFeatureLoss', loss_weight=1.0),
    # beta
    head=dict(loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_dataloader = dict(batch_size=16)
train_cfg = dict(max_epochs=12)
param_scheduler = dict(T_max=12)
