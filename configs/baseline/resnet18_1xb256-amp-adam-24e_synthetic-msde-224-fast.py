# GPU throughput reference on data anyone has: the synthetic benchmark
# resized to the paper's 224 px, on the fast path of
# resnet18_1xb96-amp-adam-24e_msde-both-fast.py, with batch 256 (learning
# rate scaled linearly from the authors' 1e-3 at batch 96) and from scratch
# (no MS-Celeb-1M weights needed). Used by tools/benchmark/train_speed.py.
_base_ = './resnet18_1xb96-amp-adam-24e_msde-both-fast.py'

# the benchmark's folder and masked view, as synthetic_msde.py names them
data_root = 'data/synthetic_msde_second-photo'
synthetic_view = 'second_photo'
model = dict(backbone=dict(init_cfg=None))
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    dataset=dict(data_root=data_root, synthetic_view=synthetic_view))
val_dataloader = dict(
    dataset=dict(data_root=data_root, synthetic_view=synthetic_view))
test_dataloader = dict(
    dataset=dict(data_root=data_root, synthetic_view=synthetic_view))
optim_wrapper = dict(optimizer=dict(lr=1e-3 * 256 / 96))
