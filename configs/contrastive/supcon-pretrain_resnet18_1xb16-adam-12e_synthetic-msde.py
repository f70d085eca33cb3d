# Two-stage SupCon, stage 1: encoder + projection head trained with the
# SupCon loss only (no cross-entropy; the classifier is left untrained and
# frozen). Stage 2 is supcon-linear_resnet18_1xb32-adam-12e_synthetic-msde.py,
# which reads this stage's last checkpoint,
#   work_dirs/supcon-pretrain_resnet18_1xb16-adam-12e_synthetic-msde/epoch_12.pth
# (the default work dir of tools/train.py; with --work-dir elsewhere, point
# stage 2 at it with
#   --cfg-options model.backbone.init_cfg.checkpoint=WORK_DIR/epoch_12.pth).
# No validation: accuracy of the untrained classifier means nothing here;
# stage 2 picks its checkpoint on the validation subjects.
_base_ = './supcon-joint_resnet18_1xb16-adam-12e_synthetic-msde.py'

model = dict(stage='pretrain')
train_cfg = dict(val_begin=1_000_000)  # never, at any max_epochs
default_hooks = dict(checkpoint=dict(save_best=None, rule=None))
