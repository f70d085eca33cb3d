# ResNet-18 trained on the non-masked images of the synthetic benchmark,
# evaluated on masked and non-masked test images (fold 0 of 10).
_base_ = [
    '../_base_/models/resnet18_fer.py',
    '../_base_/datasets/synthetic_msde.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

train_cfg = dict(max_epochs=8)
param_scheduler = dict(milestones=[5, 7])
