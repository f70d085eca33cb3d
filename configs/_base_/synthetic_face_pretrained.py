# The synthetic benchmark's stand-in for MS-Celeb-1M, as MSD-E's configs
# start from face-recognition weights: the backbone that
# tools/face_pretrain.py trains on generated identities (none of them a
# benchmark subject) and caches, keyed by the generator version and config.
# Configs that list this file among their _base_ start from it with
#   model = dict(backbone=dict(init_cfg={{_base_.face_pretrained_backbone}}))
face_pretrain_config = ('mmsde::face_pretrain/'
                        'resnet18_1xb64-adam-4e_synthetic-identities-64px.py')
face_pretrained_backbone = dict(
    type='Pretrained',
    prefix='backbone.',
    checkpoint='face-pretrain://' + face_pretrain_config)
