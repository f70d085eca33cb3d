# ResNet-18 encoder + projection head (512 -> 512 -> 128, MMPretrain's
# NonLinearNeck on the pooled features; SupConLoss normalises its output) +
# linear classifier, trained with CE + lambda * SupCon (Khosla et al. 2020),
# lambda = contrast_loss.loss_weight. stage='pretrain': SupCon only.
_base_ = './resnet18_fer.py'

model = dict(
    type='SupConClassifier',
    stage='joint',
    projector=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_last_bias=True,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d')),
    contrast_loss=dict(type='SupConLoss', temperature=0.1, loss_weight=1.0))
