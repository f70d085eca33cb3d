# mini-Xception (Arriaga et al., https://arxiv.org/abs/1710.07557) as an
# MMPretrain ImageClassifier: the backbone's last convolution gives one map
# per class, GlobalAveragePooling turns them into logits and a plain ClsHead
# (no fully connected layer) takes the softmax / cross-entropy. 64x64 grey
# input, 7 classes in mmsde's (RAF-DB) order.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MiniXception', in_channels=1, num_classes=7),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='ClsHead',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
