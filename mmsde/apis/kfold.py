"""Subject-disjoint k-fold cross-validation of any config, and the table
that aggregates it.

MMPretrain's ``kfold-cross-valid.py`` splits by *sample*, which puts the same
person in training and test folds; FER results must keep people apart. Here
every fold is a run of the config with the dataset's ``fold`` set, so the
dataset's subject partition (:mod:`mmsde.datasets.folds`) decides.
"""
import csv
import glob
import json
import math
import os
import os.path as osp
import time
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.dist import is_main_process
from scipy import stats

from mmsde.utils.atomic import atomic_path

from .grid_records import code_state, environment
from .runner import load_config, train_and_test

SPLITS = ('train', 'val', 'test')
RESULT_FILE = 'test_metrics.json'
# what train_and_test reports besides the test metrics, kept in the record
RUN_FACTS = ('params', 'precision', 'train_images', 'train_seconds')
DEFAULT_METRICS = ('non_masked/accuracy', 'masked/accuracy',
                   'overall/accuracy')


def fold_options(cfg: Config, fold: int, num_folds: int) -> dict:
    """Config overrides that select ``fold`` of ``num_folds`` everywhere.

    Raises:
        KeyError: If a dataloader's dataset has no ``fold`` field.
    """
    options = {}
    for split in SPLITS:
        dataset = cfg.get(f'{split}_dataloader', {}).get('dataset', {})
        if 'fold' not in dataset:
            raise KeyError(
                f'{split}_dataloader.dataset ({dataset.get("type")}) has no '
                '"fold" field: k-fold runs need a dataset with subject folds '
                '(MSDE, MaskedFERDataset) and fold set in the config')
        options[f'{split}_dataloader.dataset.fold'] = fold
        options[f'{split}_dataloader.dataset.num_folds'] = num_folds
    return options


def fold_placeholders(cfg_options: Optional[dict], fold: int
                      ) -> Optional[dict]:
    """Replace ``{fold}`` in string option values by the fold index, e.g.
    ``model.teacher_ckpt=work_dirs/teacher/fold{fold}/best_*.pth`` gives
    each fold the teacher trained on the same subjects."""
    if not cfg_options:
        return cfg_options
    return {
        key: value.replace('{fold}', str(fold)) if isinstance(value, str)
        else value
        for key, value in cfg_options.items()
    }


def fold_dir_name(fold: Optional[int]) -> str:
    """``fold<k>``, or ``native`` for the dataset's own split."""
    return 'native' if fold is None else f'fold{fold}'


def run_fold(config: str, work_dir: str, fold: Optional[int],
             num_folds: int, cfg_options: Optional[dict] = None,
             launcher: str = 'none', amp: bool = False) -> dict:
    """Train and test one fold; results go to ``<work_dir>/fold<k>/``
    (``fold=None``: the dataset's native split, in ``<work_dir>/native/``).

    A fold whose result file exists is not run again; an interrupted one
    resumes from the last checkpoint in its folder (the result file is
    written atomically, so it exists only for a finished fold). A
    finished fold keeps the checkpoint it was tested with; its resume
    checkpoints are deleted, as nothing resumes a finished fold.

    Returns:
        The fold's test metrics (scalars only).
    """
    fold_dir = osp.join(work_dir, fold_dir_name(fold))
    result_file = osp.join(fold_dir, RESULT_FILE)
    if osp.isfile(result_file):
        with open(result_file) as f:
            return json.load(f)['metrics']
    # a fold that was interrupted resumes from its last checkpoint
    cfg = load_config(config, work_dir=fold_dir,
                      cfg_options=fold_placeholders(cfg_options, fold),
                      launcher=launcher, amp=amp, resume='auto')
    if fold is not None:
        cfg.merge_from_dict(fold_options(cfg, fold, num_folds))
    # the code that trains: read now, as the checkout may change meanwhile
    code = code_state()
    start = time.perf_counter()
    metrics = train_and_test(cfg)
    run_facts = {key: metrics.pop(key) for key in RUN_FACTS}
    scalars = {k: float(v) for k, v in metrics.items() if _is_number(v)}
    if is_main_process():
        with atomic_path(result_file) as tmp, open(tmp, 'w') as f:
            json.dump(dict(config=config, fold=fold, num_folds=num_folds,
                           # the file in the fold's folder: a record holds
                           # no path of the machine that made it
                           checkpoint=osp.basename(metrics['checkpoint']),
                           seconds=round(time.perf_counter() - start, 1),
                           seed=cfg.get('randomness', {}).get('seed'),
                           code=code, **environment(),
                           **run_facts, metrics=scalars), f, indent=2)
        remove_resume_checkpoints(fold_dir, keep=metrics['checkpoint'])
    return scalars


def remove_resume_checkpoints(fold_dir: str, keep: str) -> List[str]:
    """Delete the ``epoch_*.pth``/``iter_*.pth`` checkpoints of a finished
    fold, and MMEngine's ``last_checkpoint`` pointer to them, except
    ``keep``: the tested checkpoint, or for ``'last'`` (a config that
    picks no best) the latest one and its pointer. Three resume
    checkpoints of a ResNet-18 with Adam's moments take 400 MB a fold; a
    10-fold table of 15 rows, 60 GB.

    Returns:
        The deleted paths.
    """
    pointer = osp.join(fold_dir, 'last_checkpoint')
    latest = None
    if osp.isfile(pointer):
        with open(pointer) as f:  # MMEngine writes an absolute path
            latest = osp.join(fold_dir, osp.basename(f.read().strip()))
    if keep == 'last':
        if latest is None:
            return []
        keep = latest
    keep = osp.abspath(keep)
    resume = glob.glob(osp.join(glob.escape(fold_dir), 'epoch_*.pth')) + \
        glob.glob(osp.join(glob.escape(fold_dir), 'iter_*.pth'))
    removed = [p for p in resume if osp.abspath(p) != keep]
    if latest is not None and osp.abspath(latest) != keep:
        removed.append(pointer)
    for path in removed:
        os.remove(path)
    return removed


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer))


def read_fold_records(folder: str) -> List[Tuple[str, dict]]:
    """``(path, record)`` of the committed fold records of a findings row,
    ``<folder>/fold<k>.json``, by fold; none for a missing folder.

    Raises:
        ValueError: A record does not parse (named).
    """
    records = []
    for path in glob.glob(osp.join(glob.escape(folder), 'fold*.json')):
        try:
            with open(path) as f:
                records.append((path, json.load(f)))
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not JSON ({e})') from e
    return sorted(records, key=lambda pair: pair[1]['fold'])


def load_fold_results(work_dir: str) -> List[dict]:
    """The result records of every finished fold under ``work_dir``."""
    files = sorted(glob.glob(osp.join(work_dir, 'fold*', RESULT_FILE)))
    if not files:
        raise FileNotFoundError(
            f'no fold results ({RESULT_FILE}) under {work_dir}: run the folds '
            'first')
    records = []
    for path in files:
        with open(path) as f:
            records.append(json.load(f))
    return sorted(records, key=lambda r: r['fold'])


def record_precision(record: dict) -> str:
    """The precision a fold trained in; records from before precision was
    recorded trained in float32 (mixed precision then needed a GPU, and
    none of them ran on one)."""
    return record.get('precision', 'fp32')


def summarize(records: Sequence[dict],
              metrics: Sequence[str] = DEFAULT_METRICS) -> Dict[str, dict]:
    """Mean and sample standard deviation of each metric over folds.

    Returns:
        ``{metric: dict(mean=..., std=..., n=..., folds=[...])}``; ``std`` is
        NaN for a single fold.

    Raises:
        ValueError: The folds trained in different precisions (one row of a
            table is one precision).
    """
    precisions = {}
    for r in records:
        precisions.setdefault(record_precision(r), []).append(r['fold'])
    if len(precisions) > 1:
        raise ValueError(f'folds trained in different precisions '
                         f'{precisions}: a row is one precision')
    summary = {}
    for name in metrics:
        missing = [r['fold'] for r in records if name not in r['metrics']]
        if missing:
            raise KeyError(f'metric {name!r} missing in folds {missing}; '
                           f'available: {sorted(records[0]["metrics"])}')
        values = np.array([r['metrics'][name] for r in records], float)
        std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        summary[name] = dict(mean=float(values.mean()), std=std,
                             n=len(values), folds=values.tolist())
    return summary


def paired_comparison(records: Sequence[dict], reference: Sequence[dict],
                      metrics: Sequence[str] = DEFAULT_METRICS
                      ) -> Dict[str, dict]:
    """Fold-paired differences ``run - reference`` on the folds both ran.

    The folds are the same test subjects for both runs, so the per-fold
    difference removes the fold-to-fold spread that a comparison of two
    means would carry. ``p`` is the two-sided paired t-test's
    (``scipy.stats.ttest_rel``); NaN with fewer than two folds or identical
    differences on every fold.

    Returns:
        ``{metric: dict(mean=..., std=..., n=..., p=..., folds=[...])}``.

    Raises:
        ValueError: The runs have no fold in common.
    """
    own = {r['fold']: r['metrics'] for r in records}
    ref = {r['fold']: r['metrics'] for r in reference}
    folds = sorted(set(own) & set(ref))
    if not folds:
        raise ValueError(f'no common folds: run has {sorted(own)}, '
                         f'reference has {sorted(ref)}')
    comparison = {}
    for name in metrics:
        a = np.array([own[f][name] for f in folds], float)
        b = np.array([ref[f][name] for f in folds], float)
        diff = a - b
        p = math.nan
        if len(folds) > 1 and np.ptp(diff) > 0:
            p = float(stats.ttest_rel(a, b).pvalue)
        comparison[name] = dict(
            mean=float(diff.mean()),
            std=float(diff.std(ddof=1)) if len(folds) > 1 else math.nan,
            n=len(folds), p=p, folds=folds)
    return comparison


def format_cell(stats: dict) -> str:
    """``mean ± std`` with two decimals (``mean`` alone for one fold)."""
    if math.isnan(stats['std']):
        return f'{stats["mean"]:.2f}'
    return f'{stats["mean"]:.2f} ± {stats["std"]:.2f}'


def format_difference(diff: dict) -> str:
    """``+1.23 ± 0.45 (p=0.012)``: signed mean difference, its std over
    folds and the paired test's p-value."""
    cell = f'{diff["mean"]:+.2f}'
    if not math.isnan(diff['std']):
        cell += f' ± {diff["std"]:.2f}'
    if not math.isnan(diff['p']):
        cell += f' (p={diff["p"]:.3g})'
    return cell


def paired_table(runs: Dict[str, Sequence[dict]],
                 pairs: Sequence[Tuple[str, str]],
                 metrics: Sequence[str] = DEFAULT_METRICS[:2]) -> str:
    """Markdown table of the fold-paired differences of ``(run,
    reference)`` ``pairs`` whose runs both have records (by default
    non-masked and masked accuracy)."""
    lines = ['| run | reference | folds | Δ non-masked | Δ masked |'
             if tuple(metrics) == DEFAULT_METRICS[:2] else
             '| run | reference | folds | ' + ' | '.join(
                 f'Δ {m}' for m in metrics) + ' |',
             '| --- | --- | --- |' + ' --- |' * len(metrics)]
    for run, ref in pairs:
        if run in runs and ref in runs:
            diff = paired_comparison(runs[run], runs[ref], metrics)
            cells = [str(diff[metrics[0]]['n'])] + [
                format_difference(diff[m]) for m in metrics]
            lines.append(f'| `{run}` | `{ref}` | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def write_comparisons(runs: Dict[str, Sequence[dict]],
                      references: Sequence[str], metrics: Sequence[str],
                      out_prefix: str) -> None:
    """Write ``<out_prefix>_paired.md``: for each reference run, every
    other run's fold-paired difference (:func:`paired_comparison`).

    Args:
        runs: ``{run name: fold records}``.
        references: Names of runs in ``runs`` to compare against.
        metrics: Metrics to compare.
        out_prefix: Output path without extension.
    """
    unknown = [r for r in references if r not in runs]
    if unknown:
        raise KeyError(f'reference runs {unknown} are not among the '
                       f'summarised runs {list(runs)}')
    lines = []
    for ref in references:
        header = ['run', 'folds'] + [f'Δ {m}' for m in metrics]
        lines += [f'Fold-paired differences against `{ref}` (run - '
                  f'{ref}, mean ± std over folds, paired t-test p):', '',
                  '| ' + ' | '.join(header) + ' |',
                  '|' + ' --- |' * len(header)]
        for name, records in runs.items():
            if name == ref:
                continue
            diff = paired_comparison(records, runs[ref], metrics)
            cells = [format_difference(diff[m]) for m in metrics]
            n = diff[metrics[0]]['n']
            lines.append('| ' + ' | '.join([name, str(n)] + cells) + ' |')
        lines.append('')
    with open(f'{out_prefix}_paired.md', 'w') as f:
        f.write('\n'.join(lines))


def write_report(runs: Dict[str, Sequence[dict]], metrics: Sequence[str],
                 out_prefix: str, references: Sequence[str] = ()
                 ) -> List[str]:
    """The mean ± std tables of ``runs`` (:func:`write_tables`) and, with
    ``references``, the fold-paired comparisons (:func:`write_comparisons`).

    Args:
        runs: ``{run name: fold records}`` (:func:`load_fold_results`).
        metrics: Metrics to report.
        out_prefix: Output path without extension; its folder is created.
        references: Names of runs to compare every run against.

    Returns:
        The Markdown files written.
    """
    folder = osp.dirname(out_prefix)
    if folder:
        os.makedirs(folder, exist_ok=True)
    write_tables({name: summarize(records, metrics)
                  for name, records in runs.items()}, out_prefix)
    costs = cost_table(runs)
    if costs:
        with open(f'{out_prefix}.md', 'a') as f:
            f.write('\n' + costs)
    written = [f'{out_prefix}.md']
    if references:
        write_comparisons(runs, references, metrics, out_prefix)
        written.append(f'{out_prefix}_paired.md')
    return written


def cost_table(runs: Dict[str, Sequence[dict]]) -> str:
    """Markdown rows of each run's cost, mean over the folds whose records
    have it: parameters, training images per second (validation between
    epochs included) and minutes per fold (training and testing). Empty
    when no record has them (results of older versions)."""
    lines = []
    for name, records in runs.items():
        timed = [r for r in records if r.get('train_seconds')]
        if not timed:
            continue
        rate = np.mean([r['train_images'] / r['train_seconds']
                        for r in timed])
        minutes = np.mean([r['seconds'] for r in timed]) / 60
        params = timed[0]['params'] / 1e6
        lines.append(f'| {name} | {len(timed)} | {params:.2f} | {rate:.0f} '
                     f'| {minutes:.1f} |')
    if not lines:
        return ''
    return '\n'.join(['| run | folds | params (M) | training images/s | '
                      'minutes per fold |', '| --- | --- | --- | --- | --- |']
                     + lines) + '\n'


def write_tables(rows: Dict[str, Dict[str, dict]], out_prefix: str) -> None:
    """Write ``<out_prefix>.md`` and ``<out_prefix>.csv``: one row per run
    (e.g. method), one column per metric.

    Args:
        rows: ``{row name: summarize(...)}``.
        out_prefix: Output path without extension.
    """
    metrics = list(next(iter(rows.values())))
    folds = {s['n'] for summary in rows.values() for s in summary.values()}
    header = ['run', 'folds'] + metrics
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + ' --- |' * len(header)]
    for name, summary in rows.items():
        n = summary[metrics[0]]['n']
        cells = [format_cell(summary[m]) for m in metrics]
        lines.append('| ' + ' | '.join([name, str(n)] + cells) + ' |')
    with open(f'{out_prefix}.md', 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(f'{out_prefix}.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['run', 'folds'] +
                        [f'{m} {s}' for m in metrics for s in ('mean', 'std')])
        for name, summary in rows.items():
            writer.writerow([name, summary[metrics[0]]['n']] + [
                f'{summary[m][s]:.4f}' for m in metrics
                for s in ('mean', 'std')
            ])
    if len(folds) > 1:
        warnings.warn(f'runs have different fold counts {sorted(folds)}')
