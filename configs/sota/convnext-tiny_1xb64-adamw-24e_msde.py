# ConvNeXt-T (Liu et al. 2022) fine-tuned on MSD-E's subject-disjoint protocol
# (fold 0 of 10; tools/kfold.py runs all folds). 224x224, batch 64, AdamW +
# cosine, 24 epochs. Weights: ImageNet-1k (82.14% top-1), from MMPretrain's
# model zoo (downloaded on first use; offline, download it once and pass
# --cfg-options model.backbone.init_cfg.checkpoint=PATH).
_base_ = [
    'mmpretrain::_base_/models/convnext/convnext-tiny.py',
    '../_base_/finetune_msde.py',
]

pretrained = 'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth'  # noqa: E501
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    head=dict(num_classes=7, topk=(1, )),
    # no Mixup/CutMix: the FER sets are small and the metric reads labels
    train_cfg=None)
