"""The README's main job: the paper's question on one held-out subject fold.
Does a masked-FER paradigm beat the ResNet-18 trained on non-masked faces?

Without arguments it works on the bundled synthetic benchmark (generated into
``data/synthetic_msde`` on first use): face pretraining on generated
identities (or its cached backbone), then the non-masked baseline and a
paradigm (default: feature distillation from that baseline, the best
paradigm of the README's table, with the teacher's features cached) from it,
printed side by side, then their pictures (curves, confusion matrices, t-SNE,
Grad-CAM). ``--budget`` scales both schedules (default 1: the table's
budget; 0.5 halves the training time, but at half the epochs the paradigms
lose far more non-masked accuracy than at the full budget). With
``--msde-root`` it trains on the real MSD-E (obtained from its authors) in
the authors' layout; pass MSD-E configs with ``--config`` and
``--paradigm``.

Examples:
    python tools/demo.py
    python tools/demo.py --budget 0.5 --paradigm \\
        configs/contrastive/supcon-joint_resnet18_1xb16-adam-12e_synthetic-msde.py
    python tools/demo.py --msde-root /data/MSD-E-root \\
        --config configs/baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py \\
        --paradigm \\
        configs/contrastive/paired-mse_resnet18_1xb96-adam-24e_msde.py
"""
import argparse
import os.path as osp
import time

from mmengine.config import Config

from mmsde.apis import load_config, pretrain_faces, train_and_test
from mmsde.apis.face_pretrain import SCHEME
from mmsde.datasets import generate_synthetic_msde
from mmsde.datasets.msde import MASKED_DIR, NON_MASKED_DIR, PAIRS_FILE
from mmsde.visualization import TrainedRun, draw_run_pictures

SYNTHETIC_ROOT = 'data/synthetic_msde'
BASELINE = ('configs/baseline/'
            'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py')
PARADIGM = ('configs/distillation/'
            'featkd-cached_resnet18_1xb32-adam-24e_synthetic-msde.py')
SHOWN = ('non_masked/accuracy', 'masked/accuracy', 'overall/accuracy',
         'masked_gap')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=BASELINE,
                        help='the non-masked baseline (and teacher)')
    parser.add_argument('--paradigm', default=PARADIGM,
                        help='the method compared with the baseline')
    parser.add_argument(
        '--msde-root',
        help=f'root of the real MSD-E ({NON_MASKED_DIR}/, {MASKED_DIR}/, '
        f'{PAIRS_FILE}); default: the synthetic benchmark')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--budget', type=float, default=1.0,
                        help='fraction of the configs\' epochs to train '
                        '(default: %(default)s)')
    return parser.parse_args()


def data_root_options(root: str) -> dict:
    """Config overrides that point every dataloader at ``root``."""
    return {
        f'{split}_dataloader.dataset.data_root': root
        for split in ('train', 'val', 'test')
    }


def budget_options(config: str, budget: float) -> dict:
    """Overrides that train ``budget`` of the config's epochs, its learning
    rate schedule (cosine ``T_max`` or step ``milestones``) scaled alike."""
    cfg = Config.fromfile(config)
    epochs = max(1, round(cfg.train_cfg.max_epochs * budget))
    options = {'train_cfg.max_epochs': epochs}
    scheduler = cfg.param_scheduler
    if isinstance(scheduler, dict) and 'T_max' in scheduler:
        options['param_scheduler.T_max'] = epochs
    elif isinstance(scheduler, dict) and 'milestones' in scheduler:
        options['param_scheduler.milestones'] = [
            max(1, round(m * budget)) for m in scheduler.milestones]
    return options


def face_pretraining(config: str) -> None:
    """Build (or find cached) the face-pretrained backbone the config
    starts from through a ``face-pretrain://`` checkpoint."""
    init = Config.fromfile(config).model.get('backbone', {}).get('init_cfg')
    checkpoint = (init or {}).get('checkpoint') or ''
    if checkpoint.startswith(SCHEME):
        start = time.perf_counter()
        path = pretrain_faces(checkpoint[len(SCHEME):])
        print(f'[demo] face-pretrained backbone: {path} '
              f'({time.perf_counter() - start:.0f} s)')


def run(name: str, config: str, work_dir: str, options: dict) -> dict:
    """Train and test one config; its test metrics and seconds."""
    start = time.perf_counter()
    cfg = load_config(config, work_dir=work_dir, cfg_options=options)
    metrics = train_and_test(cfg)
    if metrics['checkpoint'] == 'last':
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            metrics['checkpoint'] = f.read().strip()
    metrics['seconds'] = time.perf_counter() - start
    print(f'[demo] {name}: {metrics["checkpoint"]}')
    return metrics


def main() -> None:
    args = parse_args()
    root = args.msde_root
    if root is None:
        root = SYNTHETIC_ROOT
        if not osp.isfile(osp.join(root, PAIRS_FILE)):
            print(f'[demo] generating the synthetic benchmark in {root}')
            print(generate_synthetic_msde(root, overwrite=True))
    face_pretraining(args.config)
    baseline_dir = osp.join(args.work_dir, 'baseline')
    baseline = run('non-masked baseline', args.config, baseline_dir, {
        **data_root_options(root), **budget_options(args.config, args.budget)})
    options = {**data_root_options(root),
               **budget_options(args.paradigm, args.budget)}
    if 'teacher_ckpt' in Config.fromfile(args.paradigm).model:
        options['model.teacher_ckpt'] = baseline['checkpoint']
    paradigm = run('paradigm', args.paradigm,
                   osp.join(args.work_dir, 'paradigm'), options)

    names = (osp.basename(args.config)[:-3], osp.basename(args.paradigm)[:-3])
    print(f'\n[demo] test subjects of fold 0, accuracy (%), '
          f'{args.budget:g} of the configs\' epochs:')
    print(f'  {"metric":22s} {"baseline":>10s} {"paradigm":>10s}')
    for key in SHOWN:
        print(f'  {key:22s} {baseline[key]:10.2f} {paradigm[key]:10.2f}')
    print(f'  {"seconds":22s} {baseline["seconds"]:10.0f} '
          f'{paradigm["seconds"]:10.0f}')
    print(f'  baseline: {names[0]}\n  paradigm: {names[1]}')

    pictures = draw_run_pictures(
        [TrainedRun('baseline', baseline_dir, baseline['checkpoint'],
                    baseline),
         TrainedRun('paradigm', osp.join(args.work_dir, 'paradigm'),
                    paradigm['checkpoint'], paradigm)],
        osp.join(args.work_dir, 'pictures'))
    print('\n[demo] pictures:')
    for name, path in pictures.items():
        print(f'  {name:22s} {path}')


if __name__ == '__main__':
    main()
