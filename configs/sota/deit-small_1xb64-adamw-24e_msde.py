# DeiT-S / ViT-S/16 (Touvron et al. 2021) fine-tuned on MSD-E's subject-
# disjoint protocol (fold 0 of 10; tools/kfold.py runs all folds). 224x224,
# batch 64, AdamW + cosine, 24 epochs. Weights: ImageNet-1k (80.69% top-1),
# from MMPretrain's model zoo (downloaded on first use; offline, download it
# once and pass --cfg-options model.backbone.init_cfg.checkpoint=PATH).
_base_ = [
    'mmpretrain::_base_/models/vit-base-p16.py',
    '../_base_/finetune_msde.py',
]

pretrained = 'https://download.openmmlab.com/mmclassification/v0/deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth'  # noqa: E501
model = dict(
    backbone=dict(
        arch='deit-small',
        drop_rate=0.,
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint=pretrained,
            prefix='backbone')),
    head=dict(num_classes=7, in_channels=384, topk=(1, )),
    # no Mixup/CutMix: the FER sets are small and the metric reads labels
    train_cfg=None)
