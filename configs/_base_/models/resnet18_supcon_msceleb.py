# resnet18_supcon.py (SupCon projection head + expression head) with the
# backbone from the MS-Celeb-1M weights, as resnet18_fer_msceleb.py.
_base_ = './resnet18_supcon.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet18_msceleb1m.pth',
            prefix='backbone.')))
