# The findings table on the second_photo benchmark (the default: each
# masked image a second photograph of its pair's face and expression, as
# MSD-E pairs them) at twice its optimiser steps, bfloat16, all 10 folds;
# two single-threaded runs side by side on a 2-core CPU:
#   python tools/grid.py run \
#       configs/grids/synthetic/second-photo_doubled_bf16.py \
#       --lanes 2 --threads 1
_baseline = 'mmsde::baseline/resnet18_1xb32-adam-{}_synthetic-msde-{}.py'
_paired = 'mmsde::contrastive/{}_resnet18_1xb16-adam-12e_synthetic-msde.py'
_linear = ('mmsde::contrastive/'
           'supcon-linear_resnet18_1xb32-adam-12e_synthetic-msde.py')
_distill = 'mmsde::distillation/{}_resnet18_1xb32-adam-24e_synthetic-msde.py'
_sota = 'mmsde::fer_methods/{}_resnet18_1xb32-adam-12e_synthetic-msde{}.py'
_48e = {'train_cfg.max_epochs': 48, 'param_scheduler.T_max': 48}
_24e = {'train_cfg.max_epochs': 24, 'param_scheduler.T_max': 24}
_encoder = '{work_dir:supcon-pretrain, 24 epochs, bf16}/epoch_24.pth'
_teacher = '{work_dir:nonmasked, 48 epochs, bf16}/best_*.pth'
_data = {f'{split}_dataloader.dataset.{key}': value
         for split in ('train', 'val', 'test')
         for key, value in (('data_root', 'data/synthetic_msde_second-photo'),
                            ('synthetic_view', 'second_photo'))}
grid = dict(
    name='synthetic-second-photo-doubled-bf16',
    methods={
        'nonmasked, 48 epochs, bf16': dict(
            config=_baseline.format('24e', 'nonmasked'),
            cfg_options={**_48e}),
        'masked, 48 epochs, bf16': dict(
            config=_baseline.format('24e', 'masked'),
            cfg_options={**_48e}),
        'both, 24 epochs, bf16': dict(
            config=_baseline.format('12e', 'both'),
            cfg_options={**_24e}),
        'paired-mse, 24 epochs, bf16': dict(
            config=_paired.format('paired-mse'),
            cfg_options={**_24e}),
        'supcon-joint, 24 epochs, bf16': dict(
            config=_paired.format('supcon-joint'),
            cfg_options={**_24e}),
        'supcon-pretrain, 24 epochs, bf16': dict(
            config=_paired.format('supcon-pretrain'),
            cfg_options={**_24e},
            report=False),
        'supcon-linear, 24 epochs, bf16': dict(
            config=_linear,
            cfg_options={**_24e,
                         'model.backbone.init_cfg.checkpoint': _encoder},
            after=['supcon-pretrain, 24 epochs, bf16']),
        'featkd, 48 epochs, bf16': dict(
            config=_distill.format('featkd'),
            cfg_options={**_48e,
                         'model.teacher_ckpt': _teacher},
            after=['nonmasked, 48 epochs, bf16']),
        'logitkd, 48 epochs, bf16': dict(
            config=_distill.format('logitkd'),
            cfg_options={**_48e,
                         'model.teacher_ckpt': _teacher},
            after=['nonmasked, 48 epochs, bf16']),
        'featlogitkd, 48 epochs, bf16': dict(
            config=_distill.format('featlogitkd'),
            cfg_options={**_48e,
                         'model.teacher_ckpt': _teacher},
            after=['nonmasked, 48 epochs, bf16']),
        'featkd-cached, 48 epochs, bf16': dict(
            config=_distill.format('featkd-cached'),
            cfg_options={**_48e,
                         'model.teacher_ckpt': _teacher},
            after=['nonmasked, 48 epochs, bf16']),
        'scn, 24 epochs, bf16': dict(
            config=_sota.format('scn', '-both'),
            cfg_options={**_24e}),
        'dan, 24 epochs, bf16': dict(
            config=_sota.format('dan', '-both'),
            cfg_options={**_24e}),
        'scan-cci, 24 epochs, bf16': dict(
            config=_sota.format('scan-cci', ''),
            cfg_options={**_24e}),
        'scn-norelabel, 24 epochs, bf16': dict(
            config=_sota.format('scn', '-both'),
            cfg_options={**_24e,
                         'custom_hooks': []}),
    },
    folds=list(range(10)), num_folds=10, seeds=[0], precision='bf16',
    references=['nonmasked, 48 epochs, bf16', 'both, 24 epochs, bf16'],
    cfg_options=_data,
    work_dir='work_dirs/findings_second-photo/grid',
    record_dir='docs/findings/second_photo/runs',
    legacy_dir='docs/findings/second_photo/folds',
    out='docs/findings/second_photo/table_doubled_bf16')
