# ResNet-18 with a 7-way expression head, on top of MMPretrain's ResNet-18.
_base_ = 'mmpretrain::_base_/models/resnet18.py'

model = dict(head=dict(num_classes=7, topk=(1, )))
