# SCAN-CCI (Gera & Balasubramanian 2020, https://arxiv.org/abs/2007.10298)
# on MSD-E with MSD-E's protocol and schedule, as its paper benchmarks FER
# methods: fold 0 of 10, 224 px, trained on masked AND non-masked images,
# batch 96, Adam 1e-3 (weight decay 1e-4) for 24 epochs, ResNet-18 from the
# MS-Celeb-1M weights of baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py
# (the authors use a VGGFace2 ResNet-50: scan-cci_resnet50-layer3_...).
# The ResNet is truncated after layer3: SCAN on layer2 (128x28x28, 6x6-cell
# patches: 25 patches as the authors), CCI on layer3 (256x14x14, four 7x7
# quadrants); the checkpoint's layer4 keys are skipped (strict=False).
_base_ = ['../baseline/resnet18_1xb96-adam-24e_msde-both.py',
          '../_base_/models/fer_method_parts.py']

model = dict(
    backbone={{_base_.scan_cci_backbone}},
    neck=None,
    head={{_base_.scan_cci_head}})
