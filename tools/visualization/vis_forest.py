"""Forest plot of fold-paired differences from fold records: every run
against a reference, each fold a dot, the mean with its 95% interval.

Example (the overlay benchmark's doubled table against its non-masked
baseline):
    python tools/visualization/vis_forest.py nonmasked_48-epochs \\
        docs/findings/folds/{nonmasked_48-epochs,masked_48-epochs,\\
both_24-epochs,paired-mse_24-epochs,featkd_48-epochs} \\
        --out docs/pictures/forest_overlay_doubled.png
"""
import argparse
import glob
import json
import os.path as osp

from mmsde.apis.kfold import DEFAULT_METRICS
from mmsde.visualization.forest import draw_forest


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('reference', help='name of the reference run')
    parser.add_argument('runs', nargs='+', help='folders of fold*.json '
                        'records (k-fold results, findings or grid records),'
                        ' named by the folder or NAME=FOLDER')
    parser.add_argument('--metrics', nargs='+',
                        default=list(DEFAULT_METRICS[:2]))
    parser.add_argument('--out', required=True)
    return parser.parse_args()


def read_runs(specs) -> dict:
    runs = {}
    for spec in specs:
        name, _, folder = spec.rpartition('=')
        name = name or osp.basename(osp.normpath(folder))
        paths = sorted(glob.glob(osp.join(glob.escape(folder), '**',
                                          'fold*.json'), recursive=True))
        paths = [p for p in paths if not p.endswith('.failed.json')]
        if not paths:
            raise SystemExit(f'error: no fold*.json records under {folder}')
        runs[name] = [json.load(open(p)) for p in paths]
    return runs


def main() -> None:
    args = parse_args()
    runs = read_runs(args.runs)
    if args.reference not in runs:
        raise SystemExit(f'error: the reference {args.reference!r} is not '
                         f'among the runs {list(runs)}')
    print(f'wrote {draw_forest(runs, args.reference, args.metrics, args.out)}')


if __name__ == '__main__':
    main()
