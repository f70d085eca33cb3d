# Knowledge distillation on the synthetic benchmark (MSD-E's scheme): a
# frozen ResNet-18 teacher trained on non-masked faces sees the non-masked
# image of each pair; the ResNet-18 student sees the masked image with
# p = 0.5, else the same non-masked one.
# loss = CE(student) + 100 * MSE(normalised layer4 maps of teacher, student).
# The teacher is the non-masked baseline; train it first:
#   python tools/train.py configs/baseline/resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py
# teacher_ckpt picks its best checkpoint (a glob that must match one file);
# elsewhere: --cfg-options model.teacher_ckpt=PATH. Same schedule as the
# baselines (Adam 1e-3, 8 epochs) for a like-for-like comparison. The saved
# student is a plain ImageClassifier checkpoint.
_base_ = [
    '../_base_/models/resnet18_featkd.py',
    '../_base_/datasets/synthetic_msde_paired.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

teacher = 'resnet18_1xb32-adam-8e_synthetic-msde-nonmasked'
model = dict(
    teacher_cfg='{{ fileDirname }}/../baseline/' + teacher + '.py',
    teacher_ckpt='work_dirs/' + teacher + '/best_overall_accuracy_epoch_*.pth')
train_cfg = dict(max_epochs=8)
param_scheduler = dict(milestones=[5, 7])
