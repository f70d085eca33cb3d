# ResNet-18 encoder + projection head (512 -> 512 -> 128, MMPretrain's
# NonLinearNeck on the pooled features; SupConLoss normalises its output) +
# linear classifier, trained with CE + lambda * SupCon (Khosla et al. 2020),
# lambda = contrast_loss.loss_weight. stage='pretrain': SupCon only.
# The projection ends in batch norm without affine parameters (and the last
# linear layer has no bias), so it cannot map every face to one point. From
# the face-identity start, whose pooled features hold next to no expression
# (a linear probe: 23% on non-masked test faces, chance 14%), a projector
# ending in a biased linear layer collapsed: SupCon then sits at exactly its
# uniform value ln(2N - 1), where its gradient is zero (see the README,
# "SupCon: the collapse and its fix").
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
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d')),
    contrast_loss=dict(type='SupConLoss', temperature=0.1, loss_weight=1.0))
