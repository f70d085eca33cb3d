# ResNet-18 on the synthetic benchmark, trained on views='non_masked' and
# evaluated on masked and non-masked test images: MSD-E's protocol
# (subject-disjoint fold 0 of 10, validation subjects for checkpoint
# selection) with the CPU recipe: 64 px, backbone from the synthetic face
# pretraining (MSD-E's configs start from MS-Celeb-1M), Adam 1e-3 with
# cosine decay over 24 epochs. Build the pretrained backbone once with
#   python tools/face_pretrain.py configs/face_pretrain/resnet18_1xb64-adam-4e_synthetic-identities-64px.py
_base_ = [
    '../_base_/models/resnet18_fer.py',
    '../_base_/datasets/synthetic_msde.py',
    '../_base_/schedules/synthetic_adam_cosine_24e.py',
    '../_base_/synthetic_face_pretrained.py',
    '../_base_/synthetic_runtime.py',
]

model = dict(backbone=dict(init_cfg={{_base_.face_pretrained_backbone}}))
train_dataloader = dict(dataset=dict(views='non_masked'))
