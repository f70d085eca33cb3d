# What the SOTA fine-tuning configs share: MSD-E's protocol at 224x224,
# batch 64, AdamW + cosine over 24 epochs, the mmsde runtime.
_base_ = [
    './datasets/msde.py',
    './schedules/adamw_cosine_24e.py',
    './default_runtime.py',
]

train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)
