# Paper regime on masked AffectNet: ResNet-18 (MS-Celeb-1M weights) trained on
# the non-masked images, tested on masked and non-masked ones; 224 px,
# Adam 24 epochs (MSD-E's recipe), a GPU.
_base_ = [
    '../_base_/models/resnet18_fer_msceleb.py',
    '../_base_/datasets/affectnet_masked.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(dataset=dict(views='non_masked'))

# val is the test split here: keep the last checkpoint, pick none on it
default_hooks = dict(checkpoint=dict(save_best=None))
