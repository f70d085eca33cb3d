# The synthetic benchmark's CPU recipe, chosen by measurement (see the
# README, "The paper's findings"): Adam 1e-3, weight decay 1e-4, cosine decay to 0 per
# iteration over 24 epochs of a single-image set (non-masked or masked
# images). Configs that see two images per pair per epoch (views='both',
# paired samples) run 12 epochs: every method then takes the same number of
# optimiser steps on the same number of training images.
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=24,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=24, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
