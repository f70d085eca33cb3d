# As dan_resnet18_1xb32-adam-24e_synthetic-msde.py, but trained on masked AND
# non-masked images (each image one sample) with the two-view budget of
# ../baseline/resnet18_1xb32-adam-12e_synthetic-msde-both.py: 12 epochs over
# twice the images, the same optimiser steps on the same number of images as
# the single-view baselines' 24. The regime of the findings table's
# state-of-the-art rows (tools/findings.py).
_base_ = ['../baseline/resnet18_1xb32-adam-12e_synthetic-msde-both.py',
          '../_base_/models/fer_method_parts.py']

model = dict(neck={{_base_.dan_neck}}, head={{_base_.dan_head}})
# batch norm on the logits and in the channel attention cannot train on a
# last batch of one image
train_dataloader = dict(drop_last=True)
