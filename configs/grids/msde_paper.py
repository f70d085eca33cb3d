# The MSD-E paper's setting on MSD-E (from its authors, in data/msde): 224 px,
# ResNet-18 from MS-Celeb-1M weights, Adam, 24 epochs, batch 96, all 10
# subject-disjoint folds, every paradigm and the FER methods; a GPU a run.
#   python tools/grid.py run configs/grids/msde_paper.py --dry-run
#   python tools/grid.py run configs/grids/msde_paper.py --gpus 4 --lanes 4
#   python tools/grid.py run configs/grids/msde_paper.py --launcher slurm \
#       --partition gpu --gpus-per-run 1 --cpus-per-run 8 --mem-gb 32
baseline = 'mmsde::baseline/resnet18_1xb96-adam-24e_msde-{}.py'
teacher = {'model.teacher_ckpt':
           '{work_dir:nonmasked}/best_overall_accuracy_epoch_*.pth'}
grid = dict(
    name='msde-paper',
    methods=dict(
        nonmasked=dict(config=baseline.format('nonmasked')),
        masked=dict(config=baseline.format('masked')),
        both=dict(config=baseline.format('both')),
        paired_mse=dict(
            config='mmsde::contrastive/paired-mse_resnet18_1xb96-adam-24e_'
            'msde.py'),
        supcon_joint=dict(
            config='mmsde::contrastive/supcon-joint_resnet18_1xb96-adam-24e_'
            'msde.py'),
        supcon_pretrain=dict(
            config='mmsde::contrastive/supcon-pretrain_resnet18_1xb96-adam-'
            '24e_msde.py'),
        supcon_linear=dict(
            config='mmsde::contrastive/supcon-linear_resnet18_1xb96-adam-24e_'
            'msde.py',
            cfg_options={'model.backbone.init_cfg.checkpoint':
                         '{work_dir:supcon_pretrain}/epoch_24.pth'},
            after=['supcon_pretrain']),
        featkd=dict(
            config='mmsde::distillation/featkd_resnet18_1xb96-adam-24e_'
            'msde.py', cfg_options=teacher, after=['nonmasked']),
        logitkd=dict(
            config='mmsde::distillation/logitkd_resnet18_1xb96-adam-24e_'
            'msde.py', cfg_options=teacher, after=['nonmasked']),
        featlogitkd=dict(
            config='mmsde::distillation/featlogitkd_resnet18_1xb96-adam-24e_'
            'msde.py', cfg_options=teacher, after=['nonmasked']),
        scn=dict(config='mmsde::fer_methods/scn_resnet18_1xb96-adam-24e_'
                 'msde-both.py'),
        dan=dict(config='mmsde::fer_methods/dan_resnet18_1xb96-adam-24e_'
                 'msde.py'),
        scan_cci=dict(config='mmsde::fer_methods/scan-cci_resnet18_1xb96-'
                      'adam-24e_msde.py')),
    folds=list(range(10)), num_folds=10, seeds=[0],
    references=['nonmasked', 'both'],
    work_dir='work_dirs/grids/msde-paper',
    record_dir='docs/grids/msde-paper')
