# RetinaNet R-50-FPN face detector on WIDER FACE (1 class, 'face'), as
# MMDetection's configs/wider_face/ sets it up: 640 px, SGD 0.01, 12 epochs,
# 8 GPUs x 2 images, ImageNet-pretrained ResNet-50 (downloaded from
# torchvision on first use). A plain MMDetection config: it trains with
# mmsde's tools/train.py and with MMDetection's own tools/train.py.
# RetinaNet: https://arxiv.org/abs/1708.02002
# WIDER FACE: https://arxiv.org/abs/1511.06523
_base_ = 'mmdet::wider_face/retinanet_r50_fpn_1x_widerface.py'

data_root = 'data/WIDERFace/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1,
                    save_best='pascal_voc/mAP', rule='greater'))
# the learning rate above is for 8 GPUs x 2 images (--auto-scale-lr)
auto_scale_lr = dict(base_batch_size=16)
