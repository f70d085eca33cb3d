# ResNet-18 student distilled from a frozen non-masked teacher (MSD-E): the
# student sees the masked image of a pair with p = 0.5, else the non-masked
# one the teacher sees; loss = CE + 100 * MSE(normalised layer4 maps).
# Configs set model.teacher_cfg (the teacher's config file) and
# model.teacher_ckpt (its checkpoint, or a glob matching exactly one file).
_base_ = './resnet18_fer.py'

model = dict(
    type='MaskedFERDistiller',
    masked_prob=0.5,
    feature_loss=dict(type='FeatureDistillLoss', loss_weight=100.0))
