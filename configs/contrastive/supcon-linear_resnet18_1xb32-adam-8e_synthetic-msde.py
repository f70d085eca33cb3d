# Two-stage SupCon, stage 2: a linear classifier on the frozen encoder of
# stage 1 (supcon-pretrain_resnet18_1xb32-adam-8e_synthetic-msde.py; run it
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
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

stage1_checkpoint = ('work_dirs/supcon-pretrain_resnet18_1xb32-adam-8e_'
                     'synthetic-msde/epoch_8.pth')
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=stage1_checkpoint)))
train_dataloader = dict(dataset=dict(views='both'))
train_cfg = dict(max_epochs=8)
param_scheduler = dict(milestones=[5, 7])
