# Supervised contrastive learning (SupCon, Khosla et al. 2020) jointly with
# cross-entropy on MSD-E: the masked and non-masked image of a pair are two
# views; all images of an expression are positives.
# loss = CE (both views) + lambda * SupCon, lambda = contrast_loss.loss_weight.
# ResNet-18 from MS-Celeb-1M weights (see paired-mse_..._msde.py), projection
# head 512 -> 512 -> 128 (MMPretrain's NonLinearNeck on the pooled features;
# SupConLoss normalises its output), the authors' Adam schedule, batch 96
# pairs. Checkpoints load into a plain ImageClassifier (strict=False).
_base_ = [
    '../_base_/models/resnet18_supcon_msceleb.py',
    '../_base_/datasets/msde_paired.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]
