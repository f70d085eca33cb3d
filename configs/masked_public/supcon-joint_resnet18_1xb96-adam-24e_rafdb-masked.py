# Supervised contrastive learning of the pairs jointly with cross-entropy on
# masked RAF-DB (the MSD-E paper's regime 5); 224 px, Adam 24 epochs.
_base_ = [
    '../_base_/models/resnet18_supcon_msceleb.py',
    '../_base_/datasets/rafdb_masked.py',
    '../_base_/schedules/adam_24e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(
    dataset=dict(views='paired',
                 pipeline={{_base_.paired_train_pipeline}}))

# val is the test split here: keep the last checkpoint, pick none on it
default_hooks = dict(checkpoint=dict(save_best=None))
