# SCN (Wang et al., CVPR 2020, https://arxiv.org/abs/2002.10392) on the
# synthetic benchmark with the baseline's recipe: ResNet-18 from the
# synthetic face pretraining, trained on the non-masked images (MSD-E's
# regime 1, like
# ../baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py),
# 64 px, batch 32, Adam 1e-3 with cosine decay over 24 epochs, evaluated on
# masked and non-masked test images. Importance weights on the pooled
# feature scale the logits; loss = weighted CE + rank regularisation
# (beta 0.7, margin 0.07: the authors' value for small batches; the paper's
# 0.15 is for batches of 1024); from epoch 10 the low-importance samples
# whose max probability beats their label's by > 0.2 are relabelled by
# SCNRelabelHook (every change in <work_dir>/scn_relabels.jsonl).
_base_ = ['../baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py',
          '../_base_/models/fer_method_parts.py']

model = dict(head={{_base_.scn_head}})
custom_hooks = [dict(type='SCNRelabelHook', start_epoch=10)]
