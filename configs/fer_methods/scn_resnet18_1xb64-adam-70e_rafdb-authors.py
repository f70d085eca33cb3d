# SCN on RAF-DB basic with the settings of the authors' public code
# (src/train.py defaults, which their README says reach 87.03%): batch 64,
# Adam (torch's default learning rate 1e-3, weight decay 1e-4), learning
# rate x 0.9 after every epoch, 70 epochs, rank margin 0.07 (their README's
# value for batch 64), relabel margin 0.2 on the WHOLE batch (their code;
# the paper relabels the low-importance group only) from epoch 10.
# Otherwise as scn_resnet18_1xb1024-sgd-40e_rafdb.py (MS-Celeb-1M weights,
# the rafdb base's augmentation, last checkpoint kept).
_base_ = './scn_resnet18_1xb1024-sgd-40e_rafdb.py'

model = dict(
    head=dict(
        rank_loss=dict(margin=0.07),
        relabel_scope='all'))
train_dataloader = dict(batch_size=64, num_workers=4)

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(
    _delete_=True, type='ExponentialLR', gamma=0.9, by_epoch=True)
train_cfg = dict(max_epochs=70)
auto_scale_lr = dict(base_batch_size=64)
