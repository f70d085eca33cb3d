# Knowledge distillation on the synthetic benchmark (MSD-E's scheme): a
# frozen ResNet-18 teacher trained on non-masked faces sees the non-masked
# image of each pair; the ResNet-18 student sees the masked image with
# p = 0.5, else the same non-masked one.
# loss = CE(student) + 100 * MSE(normalised layer4 maps of teacher, student).
# The teacher is the non-masked baseline; train it first:
#   python tools/train.py configs/baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py
# teacher_ckpt picks its best checkpoint (a glob that must match one file);
# elsewhere: --cfg-options model.teacher_ckpt=PATH. Same schedule as the
# baselines; 24 epochs of one student image per pair: the `both`
# baseline's optimiser steps and images. The saved
# student is a plain ImageClassifier checkpoint.
_base_ = [
    '../_base_/models/resnet18_featkd.py',
    '../_base_/datasets/synthetic_msde_paired.py',
    '../_base_/schedules/synthetic_adam_cosine_24e.py',
    '../_base_/synthetic_face_pretrained.py',
    '../_base_/synthetic_runtime.py',
]

teacher = 'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked'
model = dict(
    backbone=dict(init_cfg={{_base_.face_pretrained_backbone}}),
    teacher_cfg='{{ fileDirname }}/../baseline/' + teacher + '.py',
    teacher_ckpt='work_dirs/' + teacher + '/best_overall_accuracy_epoch_*.pth')
