# As resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py, but trained on
# masked AND non-masked images (each image one sample): twice the images per
# epoch, so 12 epochs take the same optimiser steps on the same number of
# images as the single-view baselines' 24.
_base_ = './resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py'

train_dataloader = dict(dataset=dict(views='both'))
train_cfg = dict(max_epochs=12)
param_scheduler = dict(T_max=12)
