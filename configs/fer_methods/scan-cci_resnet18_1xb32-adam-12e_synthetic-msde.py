# SCAN-CCI (Gera & Balasubramanian 2020, https://arxiv.org/abs/2007.10298)
# on the synthetic benchmark with the baselines' CPU recipe: trained on
# masked AND non-masked images (views='both', a single-image method built for
# occlusion) for 12 epochs, the same optimiser steps on the same images as
# the single-view baselines' 24 (baseline/resnet18_1xb32-adam-12e_synthetic-
# msde-both.py): 64 px, batch 32, Adam 1e-3 with cosine decay, backbone from
# the synthetic face pretraining. ResNet-18 truncated after layer3: SCAN on
# the layer2 map (8x8 at 64 px, 2x2-cell patches: 16 patches), CCI on the
# layer3 map (4x4: four 2x2 quadrants). The pretrained layer4 weights are
# not built and are skipped (PretrainedInit loads with strict=False and
# logs them as unexpected keys).
_base_ = ['../baseline/resnet18_1xb32-adam-12e_synthetic-msde-both.py',
          '../_base_/models/fer_method_parts.py']

model = dict(
    backbone={{_base_.scan_cci_backbone}},
    neck=None,
    head={{_base_.scan_cci_head_64px}})
