"""Wall clock of a findings table, from its fold records.

Each record holds its run's seconds (training and test, ``seconds``). For
the chosen rows and folds this prints, per row, the folds recorded and the
minutes per fold (median, min, max), then the single-threaded total and the
wall clock of ``--lanes`` runs side by side, as a queue that starts the
longest waiting run whenever a lane frees up (dependencies between runs,
a teacher before its students, are not modelled). A chosen fold without
a record counts at its row's median; a run resumed from a checkpoint
(fewer ``train_images`` than its row's whole runs) counts at its seconds
scaled to a whole run. The table says how
many runs were estimated or scaled so.

    python tools/benchmark/table_wall_clock.py \
        configs/grids/synthetic/second-photo_doubled_bf16.py \
        --folds 0 1 2 3 4 --lanes 2 --budget-hours 3 \
        [--append docs/benchmarks.md]

The records are a grid spec's finished runs (grid and legacy records
alike, rows by folder name), or a folder of ``<row>/fold<k>.json``.
"""
import argparse
import fnmatch
import glob
import heapq
import os.path as osp
import statistics
from typing import Dict, Iterator, List, Sequence, Tuple

from mmsde.apis.kfold import read_fold_records
from mmsde.utils.benchmark import append_report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('records', help='a grid spec (.py), or a folder of '
                        'fold records: <row>/fold<k>.json')
    parser.add_argument('--rows', default='*',
                        help='glob of the row folders (default: all)')
    parser.add_argument('--folds', type=int, nargs='+',
                        default=[0, 1, 2, 3, 4])
    parser.add_argument('--lanes', type=int, default=2)
    parser.add_argument('--budget-hours', type=float)
    parser.add_argument('--append', help='markdown file to append to')
    return parser.parse_args()


# folds differ in size by about 1%: a run with fewer than this share of its
# row's most training images was resumed from a checkpoint
RESUMED = 0.97


def whole_run_seconds(records: Dict[int, dict]) -> Dict[int, float]:
    """``{fold: seconds}``, a resumed run's seconds (:data:`RESUMED`)
    scaled by the row's most ``train_images`` over its own."""
    full = max((r.get('train_images') or 0 for r in records.values()),
               default=0)

    def scale(record: dict) -> float:
        own = record.get('train_images')
        return full / own if own and own < RESUMED * full else 1.0

    return {fold: r['seconds'] * scale(r) for fold, r in records.items()}


def by_row_and_fold(found: Iterator[Tuple[str, str, dict]]
                    ) -> Dict[str, Dict]:
    """``{row: {fold: record}}`` of ``(row, where, record)``.

    Raises:
        ValueError: A record without ``seconds`` (named by ``where``).
    """
    rows = {}
    for row, where, record in found:
        if 'seconds' not in record:
            raise ValueError(f'{where}: no "seconds" in the record')
        rows.setdefault(row, {})[record['fold']] = record
    return rows


def recorded_seconds(record_dir: str, pattern: str) -> Dict[str, Dict]:
    """``{row: {fold: record}}`` of the row folders matching ``pattern``
    (:func:`by_row_and_fold`)."""
    folders = sorted(glob.glob(osp.join(glob.escape(record_dir), '*')))
    return by_row_and_fold(
        (osp.basename(folder), path, record) for folder in folders
        if osp.isdir(folder) and fnmatch.fnmatch(osp.basename(folder),
                                                 pattern)
        for path, record in read_fold_records(folder))


def grid_seconds(spec_path: str, pattern: str) -> Dict[str, Dict]:
    """``{row: {fold: record}}`` of a grid spec's finished runs whose
    folder names match ``pattern`` (:func:`by_row_and_fold`)."""
    from mmsde.apis.grid import load_spec
    from mmsde.apis.grid_report import runs_by_folder
    runs = runs_by_folder(load_spec(spec_path), accept_code=True)
    return by_row_and_fold(
        (row, f'{spec_path}: {row}, fold {record["fold"]}', record)
        for row, records in runs.items() if fnmatch.fnmatch(row, pattern)
        for record in records)


def makespan(durations: Sequence[float], lanes: int) -> float:
    """Wall clock of ``durations`` on ``lanes`` lanes, longest first onto
    the lane that frees up first."""
    ends = [0.0] * lanes
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(ends, ends[0] + duration)
    return max(ends)


def table(rows: Dict[str, Dict], folds: List[int], lanes: int,
          budget_hours: float = None) -> str:
    """The report: per-row minutes, totals and the lanes' wall clock."""
    lines = ['| row | folds recorded | min per fold, median [min-max] |',
             '| --- | --- | --- |']
    runs, estimated, scaled = [], 0, 0
    for row, records in rows.items():
        by_fold = whole_run_seconds(records)
        scaled += sum(by_fold[k] != r['seconds'] for k, r in records.items()
                      if k in folds)
        minutes = [s / 60 for s in by_fold.values()]
        median = statistics.median(minutes)
        lines.append(f'| {row} | {len(by_fold)} | {median:.1f} '
                     f'[{min(minutes):.1f}-{max(minutes):.1f}] |')
        for fold in folds:
            runs.append(by_fold.get(fold, median * 60))
            estimated += fold not in by_fold
    total = sum(runs) / 3600
    wall = makespan(runs, lanes) / 3600
    lines += ['', f'Folds {", ".join(map(str, folds))} of {len(rows)} rows: '
              f'{len(runs)} runs ({estimated} estimated at their row\'s '
              f'median, {scaled} resumed runs scaled to a whole run), '
              f'{total:.2f} h one after another, {wall:.2f} h as '
              f'{lanes} lanes side by side.']
    if budget_hours:
        verdict = 'within' if wall <= budget_hours else 'over'
        lines[-1] += (f' Budget {budget_hours:g} h: {verdict} '
                      f'({wall / budget_hours:.2f} of it).')
    return '\n'.join(lines) + '\n'


def main() -> None:
    args = parse_args()
    read = grid_seconds if args.records.endswith('.py') else \
        recorded_seconds
    rows = read(args.records, args.rows)
    if not rows:
        raise SystemExit(f'{args.records}: no row matches {args.rows!r}')
    text = table(rows, args.folds, args.lanes, args.budget_hours)
    print(text)
    if args.append:
        append_report(args.append, text)


if __name__ == '__main__':
    main()
