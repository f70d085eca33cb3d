# ResNet-18 from scratch on the synthetic benchmark, trained on views='non_masked'
# and evaluated on masked and non-masked test images: MSD-E's protocol
# (subject-disjoint fold 0 of 10, validation subjects for checkpoint
# selection) with a CPU-sized schedule: 8 epochs, lr /10 at 5 and 7.
_base_ = [
    '../_base_/models/resnet18_fer.py',
    '../_base_/datasets/synthetic_msde.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(dataset=dict(views='non_masked'))
train_cfg = dict(max_epochs=8)
param_scheduler = dict(milestones=[5, 7])
