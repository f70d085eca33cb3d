# The non-masked synthetic baseline on mmsde's fast path for CPUs: images
# decoded once and cached in memory (cache_images), two dataloader workers
# kept alive between epochs. On a CPU the per-image augmentation stays in the
# workers, where it overlaps with the network (on a GPU, augmenting the batch
# on the device is the faster choice: see
# resnet18_1xb96-amp-adam-24e_msde-both-fast.py). Same model, data, schedule
# and metrics as resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py.
_base_ = './resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py'

train_dataloader = dict(
    num_workers=2, persistent_workers=True, dataset=dict(cache_images=True))
