"""Training curves (losses, non-masked and masked validation accuracy) of
runs or k-fold work dirs: one PNG per work dir with a line per fold and
their mean.

Examples:
    python tools/visualization/vis_curves.py work_dirs/my_run
    python tools/visualization/vis_curves.py work_dirs/findings/*
"""
import argparse
import os.path as osp

from mmsde.visualization import draw_curves, find_runs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+',
                        help='a training work dir or a k-fold work dir')
    parser.add_argument('--out-dir', help='folder of the PNGs (default: '
                        'each work dir itself)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    for work_dir in args.work_dirs:
        name = osp.basename(osp.normpath(work_dir))
        runs = find_runs(work_dir)
        out = osp.join(args.out_dir or work_dir, f'{name}_curves.png')
        draw_curves(runs, out, title=f'{name} ({len(runs)} '
                    f'run{"s" if len(runs) > 1 else ""})')
        print(f'wrote {out}')


if __name__ == '__main__':
    main()
