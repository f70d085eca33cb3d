# DAN (Wen et al., https://arxiv.org/abs/2109.07270) on the synthetic
# benchmark with the baseline's recipe: ResNet-18 from the synthetic face
# pretraining, trained on the non-masked images (MSD-E's regime 1, like
# ../baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py), 64 px,
# Adam 1e-3 with cosine decay over 24 epochs, evaluated on masked and
# non-masked test images. Four cross-attention heads on layer4 (2x2 at
# 64 px), loss = CE + affinity + partition (weights 1, as the authors').
_base_ = ['../baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py',
          '../_base_/models/fer_method_parts.py']

model = dict(neck={{_base_.dan_neck}}, head={{_base_.dan_head}})
# batch norm on the logits and in the channel attention cannot train on a
# last batch of one image
train_dataloader = dict(drop_last=True)
