# As scn_resnet18_1xb32-adam-24e_synthetic-msde.py, but trained on masked AND
# non-masked images (each image one sample, relabelled on its own), with the
# two-view budget of
# ../baseline/resnet18_1xb32-adam-12e_synthetic-msde-both.py: 12 epochs
# over twice the images. Relabelling starts at epoch 5, after the same
# number of optimiser steps as epoch 10 of the single-view config.
_base_ = './scn_resnet18_1xb32-adam-24e_synthetic-msde.py'

train_dataloader = dict(dataset=dict(views='both'))
train_cfg = dict(max_epochs=12)
param_scheduler = dict(T_max=12)
custom_hooks = [dict(type='SCNRelabelHook', start_epoch=5)]
