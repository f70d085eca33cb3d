# RetinaNet R-18-FPN face detector on WIDER FACE: the R-50 setting with an
# ImageNet-pretrained ResNet-18 (downloaded from torchvision on first use),
# as MMDetection's retinanet_r18_fpn_1x_coco.py does for COCO.
_base_ = './retinanet_r50_fpn_1x_widerface.py'

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
