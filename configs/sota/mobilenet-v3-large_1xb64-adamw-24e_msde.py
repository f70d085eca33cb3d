# MobileNetV3-L (Howard et al. 2019) fine-tuned on MSD-E's subject-disjoint
# protocol (fold 0 of 10; tools/kfold.py runs all folds). 224x224, batch 64,
# AdamW + cosine, 24 epochs. Weights: ImageNet-1k (73.49% top-1), from
# MMPretrain's model zoo (downloaded on first use; offline, download it once
# and pass --cfg-options model.backbone.init_cfg.checkpoint=PATH).
_base_ = [
    'mmpretrain::_base_/models/mobilenet_v3/mobilenet_v3_large_imagenet.py',
    '../_base_/finetune_msde.py',
]

pretrained = 'https://download.openmmlab.com/mmclassification/v0/mobilenet_v3/mobilenet-v3-large_8xb128_in1k_20221114-0ed9ed9a.pth'  # noqa: E501
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    head=dict(num_classes=7, topk=(1, )),
    # no Mixup/CutMix: the FER sets are small and the metric reads labels
    train_cfg=None)
