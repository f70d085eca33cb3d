# Run-to-run noise on the overlay benchmark: `both` and three runs that must
# match it (each paradigm's extra term off, `both` in twin batches) with
# fixed seeds 1 and 2, compared at equal seeds and between seeds; float32.
_baseline = 'mmsde::baseline/resnet18_1xb32-adam-{}_synthetic-msde-{}.py'
_paired = 'mmsde::contrastive/{}_resnet18_1xb16-adam-12e_synthetic-msde.py'
_linear = ('mmsde::contrastive/'
           'supcon-linear_resnet18_1xb32-adam-12e_synthetic-msde.py')
_distill = 'mmsde::distillation/{}_resnet18_1xb32-adam-24e_synthetic-msde.py'
_sota = 'mmsde::fer_methods/{}_resnet18_1xb32-adam-12e_synthetic-msde{}.py'
_data = {f'{split}_dataloader.dataset.{key}': value
         for split in ('train', 'val', 'test')
         for key, value in (('data_root', 'data/synthetic_msde'),
                            ('synthetic_view', 'overlay'))}
grid = dict(
    name='synthetic-overlay-seeds',
    methods={
        'both': dict(
            config=_baseline.format('12e', 'both')),
        'paired-mse, alpha=0': dict(
            config=_paired.format('paired-mse'),
            cfg_options={'model.paired_loss.loss_weight': 0.0}),
        'supcon-joint, lambda=0': dict(
            config=_paired.format('supcon-joint'),
            cfg_options={'model.contrast_loss.loss_weight': 0.0}),
        'both, twin batches': dict(
            config=_baseline.format('12e', 'both'),
            cfg_options={'train_dataloader.sampler.type': 'TwinSampler'}),
    },
    folds=list(range(10)), num_folds=10, seeds=[1, 2], precision='fp32',
    references=['both', 'both, twin batches'],
    cfg_options=_data,
    work_dir='work_dirs/findings/grid',
    record_dir='docs/findings/runs',
    legacy_dir='docs/findings/folds',
    out='docs/findings/table_seeds')
