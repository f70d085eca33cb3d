# Logit distillation (Hinton et al. 2015, tau = 4) on MSD-E instead of
# feature distillation; otherwise as featkd_resnet18_1xb96-adam-24e_msde.py.
_base_ = './featkd_resnet18_1xb96-adam-24e_msde.py'

model = dict(
    feature_loss=None,
    logit_loss=dict(type='LogitDistillLoss', tau=4.0, loss_weight=1.0))
