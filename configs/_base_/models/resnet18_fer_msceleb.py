# ResNet-18 with a 7-way expression head, from the MS-Celeb-1M weights of
# the RAN/SCN FER projects (convert ijba_res18_naive.pth.tar with
# tools/model_converters/resnet18_to_mmpretrain.py into checkpoints/).
_base_ = './resnet18_fer.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet18_msceleb1m.pth',
            prefix='backbone.')))
