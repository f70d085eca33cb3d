# Paper regime 3 (train on masked and non-masked MSD-E images, 224 px, batch
# 96, the authors' Adam 24-epoch schedule) on mmsde's GPU fast path:
# - images decoded and resized once, cached in memory (cache_images);
# - the authors' augmentation on the GPU batch (device_augments) instead of
#   per image in the dataloader workers;
# - float16 mixed precision with dynamic loss scaling, channels-last weights;
# - persistent, pinned-memory dataloader workers.
# Same model, data, folds, schedule and metrics as
# resnet18_1xb96-adam-24e_msde-both.py. Add --cfg-options compile=True to
# try torch.compile.
_base_ = [
    './resnet18_1xb96-adam-24e_msde-both.py',
    '../_base_/device_augments.py',
]

img_size = 224
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]
train_dataloader = dict(
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(cache_images=True, pipeline=train_pipeline))
data_preprocessor = dict(
    type='PairedClsDataPreprocessor',
    device_augments={{_base_.device_augments}})
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')
custom_hooks = [dict(type='ChannelsLastHook')]
env_cfg = dict(cudnn_benchmark=True)  # fixed 224 px inputs
