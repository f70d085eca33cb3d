# EfficientNetV2-S (Tan & Le 2021) fine-tuned on MSD-E's subject-disjoint
# protocol (fold 0 of 10; tools/kfold.py runs all folds). 224x224, batch 64,
# AdamW + cosine, 24 epochs. Weights: ImageNet-21k pre-trained, ImageNet-1k
# fine-tuned (84.29% top-1), from MMPretrain's model zoo (downloaded on first
# use; offline, download it once and pass --cfg-options
# model.backbone.init_cfg.checkpoint=PATH).
_base_ = [
    'mmpretrain::_base_/models/efficientnet_v2/efficientnetv2_s.py',
    '../_base_/finetune_msde.py',
]

pretrained = 'https://download.openmmlab.com/mmclassification/v0/efficientnetv2/efficientnetv2-s_in21k-pre-3rdparty_in1k_20221220-7a7c8475.pth'  # noqa: E501
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    head=dict(num_classes=7, topk=(1, )),
    # no Mixup/CutMix: the FER sets are small and the metric reads labels
    train_cfg=None)
