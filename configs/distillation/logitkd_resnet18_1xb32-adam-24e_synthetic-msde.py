# Logit distillation (Hinton et al. 2015) instead of feature distillation:
# loss = CE(student) + tau^2 * KL(teacher || student at temperature tau),
# tau = 4. Teacher, inputs and schedule as in
# featkd_resnet18_1xb32-adam-24e_synthetic-msde.py.
_base_ = './featkd_resnet18_1xb32-adam-24e_synthetic-msde.py'

model = dict(
    feature_loss=None,
    logit_loss=dict(type='LogitDistillLoss', tau=4.0, loss_weight=1.0))
