"""Subject-disjoint k-fold cross-validation of a config, and result tables.

Run folds (sequentially, or one per launch on a cluster), then summarize:

    python tools/kfold.py run CONFIG --work-dir work_dirs/base --num-folds 10
    # one fold
    python tools/kfold.py run CONFIG --work-dir work_dirs/base --folds 3
    torchrun --nproc_per_node 2 tools/kfold.py run CONFIG ... \
        --launcher pytorch
    python tools/kfold.py run KD_CONFIG --work-dir work_dirs/kd --cfg-options \
        'model.teacher_ckpt=work_dirs/base/fold{fold}/best_*.pth'
    python tools/kfold.py summarize work_dirs/base work_dirs/kd --out results \
        --reference base

``{fold}`` in an option value becomes the fold index (per-fold teachers or
stage-1 checkpoints).

Finished folds (``fold<k>/test_metrics.json``) are skipped, so an
interrupted run continues where it stopped.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmsde.apis import close_process_group
from mmsde.apis.kfold import (DEFAULT_METRICS, load_fold_results, run_fold,
                              write_report)
from mmsde.utils import add_trust_argument


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('run', help='train and test folds of a config')
    run.add_argument('config')
    run.add_argument('--work-dir', required=True,
                     help='folds go to WORK_DIR/fold<k>')
    run.add_argument('--num-folds', type=int, default=10)
    run.add_argument('--folds', type=int, nargs='+',
                     help='folds to run (default: all)')
    add_trust_argument(run)
    run.add_argument('--amp', action='store_true')
    run.add_argument('--cfg-options', nargs='+', action=DictAction)
    run.add_argument('--launcher', default='none',
                     choices=['none', 'pytorch', 'slurm', 'mpi'])
    run.add_argument('--local_rank', '--local-rank', type=int, default=0)
    summ = sub.add_parser('summarize', help='mean ± std table over folds')
    summ.add_argument('work_dirs', nargs='+',
                      help='k-fold work dirs; NAME=DIR names a row')
    summ.add_argument('--metrics', nargs='+', default=list(DEFAULT_METRICS))
    summ.add_argument('--out', default='kfold_results',
                      help='writes OUT.md and OUT.csv (and OUT_paired.md)')
    summ.add_argument('--reference', nargs='+', default=[],
                      help='run names to compare every run against, fold by '
                      'fold (mean difference ± std, paired t-test p-value)')
    return parser.parse_args()


def run_folds(args: argparse.Namespace) -> None:
    """Train and test the requested folds, one after the other."""
    for fold in args.folds or range(args.num_folds):
        metrics = run_fold(args.config, args.work_dir, fold, args.num_folds,
                           args.cfg_options, args.launcher, args.amp)
        shown = ', '.join(f'{k} {metrics[k]:.2f}' for k in DEFAULT_METRICS
                          if k in metrics)
        print(f'[kfold] fold {fold}: {shown}')


def main() -> None:
    args = parse_args()
    if args.command == 'run':
        os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
        try:
            run_folds(args)
        finally:
            close_process_group()
        return
    runs = {}
    for item in args.work_dirs:
        name, _, work_dir = item.rpartition('=')
        runs[name or osp.basename(osp.normpath(work_dir))] = \
            load_fold_results(work_dir)
    for path in write_report(runs, args.metrics, args.out, args.reference):
        with open(path) as f:
            print(f.read())


if __name__ == '__main__':
    main()
