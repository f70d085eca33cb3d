# A linear classifier on a frozen ResNet-18 encoder (all four stages and
# their batch-norm statistics frozen), e.g. stage 2 of two-stage SupCon.
# Set model.backbone.init_cfg.checkpoint to the encoder's checkpoint (keys
# 'backbone.*'; other keys such as a projection head are dropped).
_base_ = './resnet18_fer.py'

model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=None,
                      prefix='backbone.')))
