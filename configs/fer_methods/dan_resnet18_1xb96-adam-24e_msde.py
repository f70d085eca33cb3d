# DAN (Wen et al., https://arxiv.org/abs/2109.07270) on MSD-E with the MSD-E
# authors' settings: ResNet-18 from MS-Celeb-1M weights, trained on the
# non-masked images (regime 1, as
# ../baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py), 224 px, batch 96,
# Adam 1e-3, 24 epochs (lr / 10 at 15 and 22); evaluated on masked and
# non-masked test images of fold 0. Four cross-attention heads on the 7x7
# layer4 map, loss = CE + affinity + partition (weights 1).
_base_ = ['../baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py',
          '../_base_/models/fer_method_parts.py']

model = dict(neck={{_base_.dan_neck}}, head={{_base_.dan_head}})
# batch norm on the logits and in the channel attention cannot train on a
# last batch of one image
train_dataloader = dict(drop_last=True)
