# Feature and logit distillation together:
# loss = CE + 100 * feature MSE + 1 * tau^2 KL (tau = 4).
# Teacher, inputs and schedule as in
# featkd_resnet18_1xb32-adam-24e_synthetic-msde.py.
_base_ = './featkd_resnet18_1xb32-adam-24e_synthetic-msde.py'

model = dict(
    logit_loss=dict(type='LogitDistillLoss', tau=4.0, loss_weight=1.0))
