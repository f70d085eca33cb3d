# Two-stage SupCon, stage 2: a linear classifier on the frozen encoder of
# stage 1 (supcon-pretrain_resnet18_1xb16-adam-12e_synthetic-msde.py; run it
# first), trained with cross-entropy on the masked and non-masked images of
# the training subjects. A plain ImageClassifier: the backbone is loaded from
# stage 1's checkpoint (keys 'backbone.*'; the projection head is dropped),
# all four ResNet stages and their batch-norm statistics stay frozen.
# A missing stage-1 checkpoint stops the run with FileNotFoundError naming
# the path. For k-fold runs, train stage 1 per fold and pass each fold's
# checkpoint with --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = [
    '../_base_/models/resnet18_linear_probe.py',
    '../_base_/datasets/synthetic_msde.py',
    '../_base_/schedules/synthetic_adam_cosine_24e.py',
    '../_base_/synthetic_runtime.py',
]

stage1_checkpoint = ('work_dirs/supcon-pretrain_resnet18_1xb16-adam-12e_'
                     'synthetic-msde/epoch_12.pth')
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=stage1_checkpoint)))
train_dataloader = dict(dataset=dict(views='both'))
train_cfg = dict(max_epochs=12)
param_scheduler = dict(T_max=12)
