# The bundled synthetic benchmark (make demo builds it), CPU: the baselines,
# the paired paradigms and feature distillation, folds 0-4, in the configs'
# precision (bfloat16 where the CPU has it), two single-threaded runs side
# by side on a 2-core machine:
#   python tools/grid.py run configs/grids/synthetic_paradigms.py --dry-run
#   python tools/grid.py run configs/grids/synthetic_paradigms.py \
#       --lanes 2 --threads 1
baseline = 'mmsde::baseline/resnet18_1xb32-adam-{}_synthetic-msde-{}.py'
grid = dict(
    name='synthetic-paradigms',
    methods=dict(
        nonmasked=dict(config=baseline.format('24e', 'nonmasked')),
        masked=dict(config=baseline.format('24e', 'masked')),
        both=dict(config=baseline.format('12e', 'both')),
        paired_mse=dict(config='mmsde::contrastive/paired-mse_resnet18_'
                        '1xb16-adam-12e_synthetic-msde.py'),
        supcon_joint=dict(config='mmsde::contrastive/supcon-joint_resnet18_'
                          '1xb16-adam-12e_synthetic-msde.py'),
        featkd=dict(config='mmsde::distillation/featkd_resnet18_1xb32-adam-'
                    '24e_synthetic-msde.py',
                    cfg_options={'model.teacher_ckpt': '{work_dir:nonmasked}'
                                 '/best_overall_accuracy_epoch_*.pth'},
                    after=['nonmasked'])),
    folds=[0, 1, 2, 3, 4], num_folds=10, seeds=[0],
    references=['nonmasked', 'both'], budget_hours=3,
    work_dir='work_dirs/grids/synthetic-paradigms',
    record_dir='docs/grids/synthetic-paradigms')
