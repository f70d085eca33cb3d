"""The main job (``make demo``): the paper's question on one held-out subject fold.
Does a masked-FER paradigm beat the ResNet-18 trained on non-masked faces?

Without arguments it works on the bundled synthetic benchmark (generated on
first use into the folder the baseline config names, with its masked view:
``data/synthetic_msde_second-photo``): face pretraining on generated
identities (or its cached backbone), then the non-masked baseline and a
paradigm (default: feature distillation from that baseline, the best
paradigm of the findings table, with the teacher's features cached) from it,
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
from typing import Optional, Tuple

from mmengine.config import Config

from mmsde.apis import load_config, pretrain_faces, train_and_test
from mmsde.apis.face_pretrain import SCHEME
from mmsde.datasets import ensure_synthetic_msde
from mmsde.datasets.msde import MASKED_DIR, NON_MASKED_DIR, PAIRS_FILE
from mmsde.visualization import TrainedRun, draw_run_pictures

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


def benchmark_data(config: str) -> Tuple[str, str]:
    """The synthetic benchmark's folder and masked view that ``config``'s
    test set names.

    Raises:
        SystemExit: ``config`` names no ``synthetic_view`` (an MSD-E config).
    """
    dataset = Config.fromfile(config).test_dataloader.dataset
    view = dataset.get('synthetic_view')
    if view is None:
        raise SystemExit(f'error: {config} is no synthetic-benchmark config '
                         '(its test set has no synthetic_view); pass '
                         '--msde-root for MSD-E configs')
    return dataset.data_root, view


def data_options(config: str, root: str, view: Optional[str]) -> dict:
    """Config overrides that point every dataloader of ``config`` at
    ``root``, with ``view`` as their ``synthetic_view`` (None for the real
    MSD-E) where it is set or the config has one."""
    keys = {'data_root': root}
    if view is not None or 'synthetic_view' in \
            Config.fromfile(config).test_dataloader.dataset:
        keys['synthetic_view'] = view
    return {
        f'{split}_dataloader.dataset.{key}': value
        for split in ('train', 'val', 'test') for key, value in keys.items()
    }


def prepare_data(args: argparse.Namespace) -> Tuple[str, Optional[str]]:
    """The data folder and synthetic view of both runs: ``--msde-root``
    (no view), else the baseline config's synthetic benchmark, generated
    there with its masked view when missing."""
    if args.msde_root is not None:
        return args.msde_root, None
    root, view = benchmark_data(args.config)
    try:
        summary = ensure_synthetic_msde(root, view)
    except ValueError as err:
        raise SystemExit(f'error: {err}')
    if summary is not None:
        print(f'[demo] generated the synthetic benchmark ({view}) in {root}')
        print(summary)
    return root, view


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
    root, view = prepare_data(args)
    face_pretraining(args.config)
    baseline_dir = osp.join(args.work_dir, 'baseline')
    baseline = run('non-masked baseline', args.config, baseline_dir, {
        **data_options(args.config, root, view),
        **budget_options(args.config, args.budget)})
    options = {**data_options(args.paradigm, root, view),
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
