# The synthetic benchmark's CPU recipe, chosen by measurement (see the
# README, "The paper's findings"): Adam 1e-3, weight decay 1e-4, cosine decay to 0 per
# iteration over 24 epochs of a single-image set (non-masked or masked
# images). Configs that see two images per pair per epoch (views='both',
# paired samples) run 12 epochs: every method then takes the same number of
# optimiser steps on the same number of training images.
# Precision: bfloat16 autocast where the CPU computes bfloat16 natively
# (AVX-512 BF16, AMX, Arm BF16), float32 with a warning elsewhere
# (BF16OptimWrapper; channels-last weights come with synthetic_runtime.py);
# over 10 folds the same accuracy as float32 (README, "Mixed precision on the
# CPU"). Float32 anywhere: --cfg-options optim_wrapper.enabled=False
optim_wrapper = dict(
    type='BF16OptimWrapper',
    enabled=True,
    fp32_fallback=True,
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=24,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=24, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
