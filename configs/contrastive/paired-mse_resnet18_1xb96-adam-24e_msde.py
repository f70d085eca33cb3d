# The MSD-E authors' paired ("contrastive") scheme, paper regime 4: a shared
# ResNet-18 (MS-Celeb-1M weights) sees both images of each
# [non_masked, masked] pair; loss = alpha * MSE(normalised layer4 maps)
# + beta * (CE_nm + CE_m), alpha = beta = 1; Adam lr 1e-3, 24 epochs,
# batch 96 pairs. Evaluated on masked and non-masked test images.
# The weights: convert ijba_res18_naive.pth.tar (RAN/SCN FER projects) with
#   python tools/model_converters/resnet18_to_mmpretrain.py \
#       ijba_res18_naive.pth.tar checkpoints/resnet18_msceleb1m.pth
_base_ = [
    '../_base_/models/resnet18_fer_msceleb.py',
    '../_base_/datasets/msde_paired.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='PairedClassifier',
    # alpha
    paired_loss=dict(type='PairedFeatureLoss', loss_weight=1.0),
    # beta
    head=dict(loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
