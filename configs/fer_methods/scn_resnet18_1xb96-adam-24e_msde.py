# SCN (Wang et al., CVPR 2020, https://arxiv.org/abs/2002.10392) on MSD-E
# with the MSD-E paper's settings
# (../baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py):
# ResNet-18 from the MS-Celeb-1M weights, trained on the non-masked images,
# 224 px, batch 96, Adam 1e-3 (weight decay 1e-4), learning rate / 10 at
# epochs 15 and 22 of 24; subject-disjoint fold 0 of 10. SCN's own settings:
# beta 0.7, rank margin 0.07 (the authors' value for small batches; the
# paper's 0.15 is for batches of 1024), relabel margin 0.2 on the
# low-importance group from epoch 10 (SCNRelabelHook).
_base_ = ['../baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py',
          '../_base_/models/fer_method_parts.py']

model = dict(head={{_base_.scn_head}})
custom_hooks = [dict(type='SCNRelabelHook', start_epoch=10)]
