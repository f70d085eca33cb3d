# The MSD-E authors' schedule: Adam, weight decay 1e-4, 24 epochs,
# learning rate divided by 10 at epochs 15 and 22, batch 96.
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[15, 22], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=24, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=96)
