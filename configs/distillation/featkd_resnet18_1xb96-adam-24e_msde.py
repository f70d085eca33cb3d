# Knowledge distillation on MSD-E as in the authors' code: a frozen
# ResNet-18 teacher trained on non-masked faces
# (configs/baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py; train it
# first) sees the non-masked image of each pair; the student, from the same
# MS-Celeb-1M weights, sees the masked image with p = 0.5, else the same
# non-masked one. loss = CE + 100 * MSE(normalised layer4 maps).
# Adam lr 1e-2 (the authors' distillation lr), wd 1e-4, batch 96, 24 epochs,
# lr /10 at 15 and 22. teacher_ckpt is a glob that must match one file;
# elsewhere: --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../_base_/models/resnet18_featkd.py',
    '../_base_/datasets/msde_paired.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

teacher = 'resnet18_1xb96-adam-24e_msde-nonmasked'
model = dict(
    teacher_cfg='{{ fileDirname }}/../baseline/' + teacher + '.py',
    teacher_ckpt='work_dirs/' + teacher + '/best_overall_accuracy_epoch_*.pth',
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet18_msceleb1m.pth',
            prefix='backbone.')))
optim_wrapper = dict(optimizer=dict(lr=1e-2))
