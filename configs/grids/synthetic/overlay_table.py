# The findings table on the overlay benchmark (the mask drawn on the
# non-masked image) at its first budget, float32: every method, the sanity
# ablations (each paradigm with its extra term off) and the recipe
# candidates; each row against `nonmasked` and `both`.
#   python tools/grid.py status configs/grids/synthetic/overlay_table.py
_baseline = 'mmsde::baseline/resnet18_1xb32-adam-{}_synthetic-msde-{}.py'
_paired = 'mmsde::contrastive/{}_resnet18_1xb16-adam-12e_synthetic-msde.py'
_linear = ('mmsde::contrastive/'
           'supcon-linear_resnet18_1xb32-adam-12e_synthetic-msde.py')
_distill = 'mmsde::distillation/{}_resnet18_1xb32-adam-24e_synthetic-msde.py'
_sota = 'mmsde::fer_methods/{}_resnet18_1xb32-adam-12e_synthetic-msde{}.py'
_encoder = '{work_dir:supcon-pretrain}/epoch_12.pth'
_teacher = '{work_dir:nonmasked}/best_*.pth'
_scenes = ('face-pretrain://configs/face_pretrain/'
           'resnet18_1xb64-adam-4e_synthetic-identities-scenes-64px.py')
_data = {f'{split}_dataloader.dataset.{key}': value
         for split in ('train', 'val', 'test')
         for key, value in (('data_root', 'data/synthetic_msde'),
                            ('synthetic_view', 'overlay'))}
grid = dict(
    name='synthetic-overlay-table',
    methods={
        'nonmasked': dict(
            config=_baseline.format('24e', 'nonmasked')),
        'masked': dict(
            config=_baseline.format('24e', 'masked')),
        'both': dict(
            config=_baseline.format('12e', 'both')),
        'paired-mse': dict(
            config=_paired.format('paired-mse')),
        'supcon-joint': dict(
            config=_paired.format('supcon-joint')),
        'supcon-pretrain': dict(
            config=_paired.format('supcon-pretrain'),
            report=False),
        'supcon-linear': dict(
            config=_linear,
            cfg_options={'model.backbone.init_cfg.checkpoint': _encoder},
            after=['supcon-pretrain']),
        'featkd': dict(
            config=_distill.format('featkd'),
            cfg_options={'model.teacher_ckpt': _teacher},
            after=['nonmasked']),
        'logitkd': dict(
            config=_distill.format('logitkd'),
            cfg_options={'model.teacher_ckpt': _teacher},
            after=['nonmasked']),
        'featlogitkd': dict(
            config=_distill.format('featlogitkd'),
            cfg_options={'model.teacher_ckpt': _teacher},
            after=['nonmasked']),
        'featkd-cached': dict(
            config=_distill.format('featkd-cached'),
            cfg_options={'model.teacher_ckpt': _teacher},
            after=['nonmasked']),
        'scn': dict(
            config=_sota.format('scn', '-both')),
        'dan': dict(
            config=_sota.format('dan', '-both')),
        'scan-cci': dict(
            config=_sota.format('scan-cci', '')),
        'scn-norelabel': dict(
            config=_sota.format('scn', '-both'),
            cfg_options={'custom_hooks': []}),
        'paired-mse, alpha=0': dict(
            config=_paired.format('paired-mse'),
            cfg_options={'model.paired_loss.loss_weight': 0.0}),
        'supcon-joint, lambda=0': dict(
            config=_paired.format('supcon-joint'),
            cfg_options={'model.contrast_loss.loss_weight': 0.0}),
        'supcon-joint, lambda=0, shared draws': dict(
            config=_paired.format('supcon-joint'),
            cfg_options={'model.contrast_loss.loss_weight': 0.0,
                         'train_dataloader.dataset.pipeline.1.share_draws': True}),
        'both, twin batches': dict(
            config=_baseline.format('12e', 'both'),
            cfg_options={'train_dataloader.sampler.type': 'TwinSampler'}),
        'featlogitkd, weights=0': dict(
            config=_distill.format('featlogitkd'),
            cfg_options={'model.teacher_ckpt': _teacher,
                         'model.feature_loss.loss_weight': 0.0,
                         'model.logit_loss.loss_weight': 0.0},
            after=['nonmasked']),
        'nonmasked, 112 px': dict(
            config=_baseline.format('24e', 'nonmasked'),
            cfg_options={'train_dataloader.dataset.pipeline.1.scale': (112, 112),
                         'val_dataloader.dataset.pipeline.1.scale': (112, 112),
                         'test_dataloader.dataset.pipeline.1.scale': (112, 112)}),
        'both, 112 px': dict(
            config=_baseline.format('12e', 'both'),
            cfg_options={'train_dataloader.dataset.pipeline.1.scale': (112, 112),
                         'val_dataloader.dataset.pipeline.1.scale': (112, 112),
                         'test_dataloader.dataset.pipeline.1.scale': (112, 112)}),
        'supcon-joint, 112 px': dict(
            config=_paired.format('supcon-joint'),
            cfg_options={'train_dataloader.dataset.pipeline.1.transforms.0.scale': (112, 112),
                         'val_dataloader.dataset.pipeline.1.scale': (112, 112),
                         'test_dataloader.dataset.pipeline.1.scale': (112, 112)}),
        'nonmasked, scene pretraining': dict(
            config=_baseline.format('24e', 'nonmasked'),
            cfg_options={'model.backbone.init_cfg.checkpoint': _scenes}),
        'both, scene pretraining': dict(
            config=_baseline.format('12e', 'both'),
            cfg_options={'model.backbone.init_cfg.checkpoint': _scenes}),
        'supcon-joint, T=0.5': dict(
            config=_paired.format('supcon-joint'),
            cfg_options={'model.contrast_loss.temperature': 0.5,
                         'model.contrast_loss.base_temperature': 0.5,
                         'model.contrast_loss.loss_weight': 0.5}),
    },
    folds=list(range(10)), num_folds=10, seeds=[0], precision='fp32',
    references=['nonmasked', 'both'],
    cfg_options=_data,
    work_dir='work_dirs/findings/grid',
    record_dir='docs/findings/runs',
    legacy_dir='docs/findings/folds',
    out='docs/findings/table')
