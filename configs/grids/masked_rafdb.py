# The paradigms on masked RAF-DB (configs/masked_public; the masked copies by
#   python tools/dataset_converters/mask_dataset.py RAFDB data/rafdb --aligned)
# on RAF-DB's own train/test split (folds=None), three seeds for the spread;
# a GPU a run:
#   python tools/grid.py run configs/grids/masked_rafdb.py --gpus 1
#   python tools/grid.py summarize configs/grids/masked_rafdb.py
folder = 'mmsde::masked_public/'
grid = dict(
    name='masked-rafdb',
    methods=dict(
        nonmasked=dict(config=folder + 'resnet18_1xb96-adam-24e_rafdb-masked-'
                       'nonmasked.py'),
        masked=dict(config=folder + 'resnet18_1xb96-adam-24e_rafdb-masked-'
                    'masked.py'),
        both=dict(config=folder + 'resnet18_1xb96-adam-24e_rafdb-masked-'
                  'both.py'),
        paired_mse=dict(config=folder + 'paired-mse_resnet18_1xb96-adam-24e_'
                        'rafdb-masked.py'),
        supcon_joint=dict(config=folder + 'supcon-joint_resnet18_1xb96-adam-'
                          '24e_rafdb-masked.py')),
    folds=None, seeds=[0, 1, 2],
    references=['nonmasked', 'both'],
    work_dir='work_dirs/grids/masked-rafdb',
    record_dir='docs/grids/masked-rafdb')
