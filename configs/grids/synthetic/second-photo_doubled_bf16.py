# The findings table on the second_photo benchmark (the default: each
# masked image a second photograph of its pair's face and expression, as
# MSD-E pairs them) at twice its optimiser steps, bfloat16, all 10 folds:
# the overlay table's methods, on this benchmark. Two single-threaded runs
# side by side on a 2-core CPU:
#   python tools/grid.py run \
#       configs/grids/synthetic/second-photo_doubled_bf16.py \
#       --lanes 2 --threads 1
_base_ = './overlay_doubled_bf16.py'
_data = {f'{split}_dataloader.dataset.{key}': value
         for split in ('train', 'val', 'test')
         for key, value in (('data_root', 'data/synthetic_msde_second-photo'),
                            ('synthetic_view', 'second_photo'))}
grid = dict(
    name='synthetic-second-photo-doubled-bf16',
    cfg_options=_data,
    work_dir='work_dirs/findings_second-photo/grid',
    record_dir='docs/findings/second_photo/runs',
    legacy_dir='docs/findings/second_photo/folds',
    out='docs/findings/second_photo/table_doubled_bf16')
