# The MSD-E authors' augmentation as batch augmentations on the device
# (mmsde.models.utils.batch_augments), one draw per sample shared by the two
# images of a pair. Differences from the CPU list: no hue/saturation jitter;
# brightness/contrast as one transform with p = 0.5.
device_augments = [
    dict(type='BatchFlip', prob=0.5),
    dict(type='BatchColorJitter', brightness=0.2, contrast=0.2, prob=0.5),
    dict(type='BatchShiftScaleRotate', shift_limit=0.0625, scale_limit=0.1,
         rotate_limit=3, prob=0.5),
    dict(type='BatchShiftScaleRotate', shift_limit=0., rotate_limit=0.,
         scale_range=(1.0, 1.25), prob=0.5),
]
