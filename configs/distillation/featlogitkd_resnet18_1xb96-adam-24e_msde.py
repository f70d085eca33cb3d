# Feature and logit distillation together on MSD-E:
# loss = CE + 100 * feature MSE + 1 * tau^2 KL (tau = 4); otherwise as
# featkd_resnet18_1xb96-adam-24e_msde.py.
_base_ = './featkd_resnet18_1xb96-adam-24e_msde.py'

model = dict(
    logit_loss=dict(type='LogitDistillLoss', tau=4.0, loss_weight=1.0))
