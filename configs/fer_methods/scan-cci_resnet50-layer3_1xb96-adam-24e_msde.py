# SCAN-CCI with the authors' trunk: ResNet-50 truncated after layer3, SCAN on
# layer2 (512x28x28, 25 patches), CCI on layer3 (1024x14x14), on MSD-E's
# protocol and schedule as scan-cci_resnet18_1xb96-adam-24e_msde.py. The
# authors start from VGGFace2 face-recognition weights (a Caffe-converted
# ResNet-50, "vgg_msceleb_resnet50_ft_weight.pkl"), which are not available
# offline and for which mmsde has no converter: convert them to MMPretrain's
# ResNet-50 keys (prefix 'backbone.') at checkpoints/resnet50_vggface2.pth,
# or pass --cfg-options model.backbone.init_cfg=None (random start).
_base_ = './scan-cci_resnet18_1xb96-adam-24e_msde.py'

model = dict(
    backbone=dict(
        depth=50,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50_vggface2.pth',
            prefix='backbone.')),
    head=dict(in_channels=(512, 1024)))
