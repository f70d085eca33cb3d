"""Forest plots of fold-paired differences: for every run against a
reference, each fold's difference as a dot and the mean with its 95%
interval (Student's t over the folds), one panel per metric."""
import math
from typing import Dict, Sequence

import numpy as np
from scipy import stats

from mmsde.apis.kfold import paired_comparison

from .figures import new_figure, save_figure


def difference_interval(values: Sequence[float], level: float = 0.95):
    """Mean and half-width of the t interval of ``values`` (NaN half-width
    for one value)."""
    values = np.asarray(values, float)
    if len(values) < 2:
        return float(values.mean()), math.nan
    sem = values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean()), float(
        stats.t.ppf((1 + level) / 2, len(values) - 1) * sem)


def fold_differences(records: Sequence[dict], reference: Sequence[dict],
                     metric: str) -> np.ndarray:
    """``run - reference`` on each fold both have, in fold order."""
    own = {r['fold']: r['metrics'][metric] for r in records}
    ref = {r['fold']: r['metrics'][metric] for r in reference}
    return np.array([own[k] - ref[k] for k in sorted(set(own) & set(ref))])


def draw_forest(runs: Dict[str, Sequence[dict]], reference: str,
                metrics: Sequence[str], out_file: str) -> str:
    """Draw every run of ``runs`` against ``runs[reference]``.

    Args:
        runs: ``{name: fold records}`` (``fold`` and ``metrics`` each).
        reference: The run every other is compared with.
        metrics: One panel each, e.g. ``masked/accuracy``.
        out_file: The PNG to write.
    """
    names = [n for n in runs if n != reference]
    if not names:
        raise ValueError(f'nothing to compare with {reference!r}: runs are '
                         f'{list(runs)}')
    fig = new_figure((4.2 * len(metrics), 0.55 * len(names) + 1.4))
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for row, name in enumerate(names):
            diffs = fold_differences(runs[name], runs[reference], metric)
            p = paired_comparison(runs[name], runs[reference],
                                  [metric])[metric]['p']
            mean, half = difference_interval(diffs)
            y = len(names) - 1 - row
            ax.scatter(diffs, np.full(len(diffs), y) + 0.18, s=10,
                       color='0.55', zorder=2)
            color = 'C3' if not math.isnan(p) and p < 0.05 else 'C0'
            ax.errorbar(mean, y, xerr=None if math.isnan(half) else half,
                        fmt='o', color=color, capsize=3, zorder=3)
            label = 'n/a' if math.isnan(p) else f'p={p:.2g}'
            ax.annotate(label, (1.0, y), xycoords=('axes fraction', 'data'),
                        xytext=(3, -3), textcoords='offset points',
                        ha='left', fontsize=7, color='0.3',
                        annotation_clip=False)
        ax.axvline(0, color='0.3', lw=0.8, ls='--')
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel(f'difference to {reference} (points)', fontsize=8)
        ax.grid(axis='x', alpha=0.3)
    axes[0].set_yticks(range(len(names)), names[::-1], fontsize=8)
    fig.suptitle('Fold-paired differences: folds (grey), mean and 95% '
                 'interval (red: p < 0.05)', fontsize=9)
    return save_figure(fig, out_file)
