"""Forest plot of fold-paired differences from fold records: every run
against a reference, each fold a dot, the mean with its 95% interval.

Example (the overlay benchmark's doubled table against its non-masked
baseline):
    python tools/visualization/vis_forest.py nonmasked_48-epochs \\
        docs/findings/folds/{nonmasked_48-epochs,masked_48-epochs,\\
both_24-epochs,paired-mse_24-epochs,featkd_48-epochs} \\
        --out docs/pictures/forest_overlay_doubled.png
    # a grid's rows by folder name, legacy and grid records alike
    python tools/visualization/vis_forest.py nonmasked_48-epochs_bf16 \
        nonmasked_48-epochs_bf16 masked_48-epochs_bf16 \
        --grid configs/grids/synthetic/second-photo_doubled_bf16.py \
        --out docs/pictures/forest_second_photo_doubled_bf16.png
"""
import argparse
import glob
import json
import os.path as osp
from typing import List

from mmsde.apis.kfold import DEFAULT_METRICS
from mmsde.visualization.forest import draw_forest


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('reference', help='name of the reference run')
    parser.add_argument('runs', nargs='+', help='folders of fold*.json '
                        'records (k-fold results, findings or grid records),'
                        ' named by the folder or NAME=FOLDER')
    parser.add_argument('--grid', help='a grid spec: RUNS are its runs\' '
                        'folder names (a method\'s slug), read from its '
                        'finished runs, legacy records included')
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


def read_grid_runs(spec_path: str, names: List[str]) -> dict:
    """``{name: records}`` of the named runs of a grid spec (folder names,
    :func:`~mmsde.apis.grid_report.runs_by_folder`); an unknown name is an
    error that lists the known ones."""
    from mmsde.apis.grid import load_spec
    from mmsde.apis.grid_report import runs_by_folder
    found = runs_by_folder(load_spec(spec_path), accept_code=True)
    unknown = [name for name in names if name not in found]
    if unknown:
        raise SystemExit(f'error: {spec_path} has no finished runs named '
                         f'{unknown}; it has {sorted(found)}')
    return {name: found[name] for name in names}


def main() -> None:
    args = parse_args()
    runs = read_grid_runs(args.grid, args.runs) if args.grid else \
        read_runs(args.runs)
    if args.reference not in runs:
        raise SystemExit(f'error: the reference {args.reference!r} is not '
                         f'among the runs {list(runs)}')
    print(f'wrote {draw_forest(runs, args.reference, args.metrics, args.out)}')


if __name__ == '__main__':
    main()
