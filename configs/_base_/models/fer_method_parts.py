# The parts of the SOTA FER methods (configs/fer_methods/), put into a
# ResNet-18 ImageClassifier by each config with
#   model = dict(neck={{_base_.dan_neck}}, head={{_base_.dan_head}})
# DAN: K = 4 cross-attention heads on layer4, fused, fc + BatchNorm1d
dan_neck = dict(_delete_=True, type='MultiHeadCrossAttentionNeck',
                in_channels=512, num_heads=4)
dan_head = dict(_delete_=True, type='DANHead', num_classes=7,
                in_channels=512, topk=(1, ))
# SCN: importance-weighted logits, rank regularisation (margin 0.07: the
# authors' value for batch 64; 0.15 for batch 1024), relabelling by
# SCNRelabelHook in the paper's low-importance group
scn_head = dict(
    type='SCNHead',
    rank_loss=dict(type='SCNRankLoss', margin=0.07, ratio=0.7,
                   loss_weight=1.0),
    relabel_margin=0.2,
    relabel_scope='low_importance')
# SCAN-CCI: ResNet truncated after layer3, SCAN on layer2 (6x6-cell
# patches: 25 patches of a 28x28 map, as the authors), CCI on layer3
scan_cci_backbone = dict(
    num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(1, 2))
scan_cci_head = dict(
    _delete_=True,
    type='SCANCCIHead',
    num_classes=7,
    in_channels=(128, 256),
    patch_size=6,
    loss=dict(type='CrossEntropyLoss', loss_weight=0.2),
    region_loss=dict(type='CrossEntropyLoss', loss_weight=0.8),
    topk=(1, ))
# at 64 px (synthetic benchmark) layer2 is 8x8: 2x2-cell patches (16)
scan_cci_head_64px = dict(scan_cci_head, patch_size=2)
# rank margin 0.15: the authors' value for batch 1024
scn_head_batch1024 = dict(
    scn_head, rank_loss=dict(scn_head['rank_loss'], margin=0.15))
