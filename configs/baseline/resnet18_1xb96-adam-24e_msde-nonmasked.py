# Paper regime 1: ResNet-18 (MS-Celeb-1M weights) trained on the non-masked
# images of MSD-E; evaluated on masked and non-masked test images.
# The weights: convert ijba_res18_naive.pth.tar (RAN/SCN FER projects) with
#   python tools/model_converters/resnet18_to_mmpretrain.py \
#       ijba_res18_naive.pth.tar checkpoints/resnet18_msceleb1m.pth
_base_ = [
    '../_base_/models/resnet18_fer_msceleb.py',
    '../_base_/datasets/msde.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(dataset=dict(views='non_masked'))
