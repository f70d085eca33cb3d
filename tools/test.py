"""Evaluate a checkpoint on a config's test set.

Examples:
    python tools/test.py CONFIG work_dirs/run1/epoch_24.pth
    python tools/test.py CONFIG CKPT --out preds.pkl
    bash tools/dist_test.sh CONFIG CKPT 2
"""
import argparse
import os

from mmengine.config import DictAction

from mmsde.apis import close_process_group, load_config, test
from mmsde.utils import add_trust_argument


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='folder for the test logs')
    parser.add_argument('--out', help='dump the predictions to a .pkl file')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_trust_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = load_config(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        amp=args.amp)
    try:
        test(cfg, args.checkpoint, out=args.out)
    finally:
        close_process_group()


if __name__ == '__main__':
    main()
