# Supervised contrastive learning (SupCon, Khosla et al. 2020) jointly with
# cross-entropy on the synthetic benchmark: the masked and non-masked image
# of a pair are two views; all images of an expression are positives.
# loss = CE (both views) + lambda * SupCon, lambda = contrast_loss.loss_weight.
# Projection head 512 -> 512 -> 128 (MMPretrain's NonLinearNeck on the
# pooled features; SupConLoss normalises its output). It is not needed for
# prediction: checkpoints load into a plain ImageClassifier (strict=False).
_base_ = [
    '../_base_/models/resnet18_supcon.py',
    '../_base_/datasets/synthetic_msde_paired.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

train_cfg = dict(max_epochs=8)
param_scheduler = dict(milestones=[5, 7])
