"""Training curves from MMEngine's logs (``<timestamp>/vis_data/
scalars.json``): losses per iteration, masked and non-masked validation
accuracy per epoch, for one run or every fold of a k-fold work dir."""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .figures import class_colors, new_figure, save_figure

VAL_KEYS = ('non_masked/accuracy', 'masked/accuracy')


def read_scalars(work_dir: str) -> Tuple[List[dict], List[dict]]:
    """The train and validation records of one run.

    A resumed run logs into a new timestamp folder; all of them are read in
    order and a later record replaces an earlier one of the same step.

    Returns:
        (train records sorted by iteration, val records sorted by epoch).
    """
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under '
                                f'{work_dir}: is it a training work dir?')
    train, val = {}, {}
    for path in files:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{path}:{lineno}: not JSON ({err})')
                if 'iter' in record and 'epoch' in record:
                    train[record['iter']] = record
                elif any(k in record for k in VAL_KEYS):
                    val[record['step']] = record
    return ([train[k] for k in sorted(train)], [val[k] for k in sorted(val)])


def find_runs(work_dir: str) -> Dict[str, str]:
    """The runs in ``work_dir``: its ``fold<k>`` folders (a k-fold work dir)
    or the folder itself."""
    folds = [f for f in glob.glob(osp.join(work_dir, 'fold*'))
             if re.fullmatch(r'fold\d+', osp.basename(f))
             and glob.glob(osp.join(f, '*', 'vis_data'))]
    folds.sort(key=lambda f: int(osp.basename(f)[4:]))
    if folds:
        return {osp.basename(f): f for f in folds}
    return {osp.basename(osp.normpath(work_dir)): work_dir}


def _mean_curve(curves: Sequence[Tuple[np.ndarray, np.ndarray]]):
    """Mean over runs at the x values all of them have."""
    common = set(curves[0][0].tolist())
    for x, _ in curves[1:]:
        common &= set(x.tolist())
    xs = np.array(sorted(common))
    ys = np.mean([[y[x.tolist().index(v)] for v in xs] for x, y in curves],
                 axis=0) if len(xs) else np.array([])
    return xs, ys


def draw_curves(runs: Dict[str, str], out_file: str, title: str = '',
                num_classes: int = 7) -> str:
    """Three panels: training losses by iteration, non-masked and masked
    validation accuracy by epoch; one line per run, and their mean (bold)
    when there are several, and the chance level of ``num_classes``. A
    single run also shows each loss term."""
    fig = new_figure((16, 4.6))
    axes = fig.subplots(1, 3)
    colors = class_colors(len(runs))
    val_curves: Dict[str, list] = {k: [] for k in VAL_KEYS}
    for color, (name, work_dir) in zip(colors, runs.items()):
        train, val = read_scalars(work_dir)
        losses = ['loss']
        if len(runs) == 1:
            losses += sorted({k for r in train for k in r
                              if k.startswith('loss') and k != 'loss'})
        for style, key in zip(('-', '--', ':', '-.') * 4, losses):
            pts = [(r['iter'], r[key]) for r in train if key in r]
            if pts:
                axes[0].plot(*zip(*pts), style, color=color, lw=1,
                             label=f'{name} {key}' if len(runs) > 1
                             or len(losses) > 1 else key)
        for ax, key in zip(axes[1:], VAL_KEYS):
            pts = [(r['step'], r[key]) for r in val if key in r]
            if pts:
                x, y = map(np.asarray, zip(*pts))
                val_curves[key].append((x, y))
                ax.plot(x, y, color=color, lw=1, alpha=0.8, label=name)
    if len(runs) > 1:
        for ax, key in zip(axes[1:], VAL_KEYS):
            if val_curves[key]:
                ax.plot(*_mean_curve(val_curves[key]), color='black', lw=2.5,
                        label=f'mean of {len(val_curves[key])}')
    axes[0].set(xlabel='iteration', ylabel='training loss',
                title='training loss')
    for ax, key in zip(axes[1:], VAL_KEYS):
        view = key.split('/')[0].replace('_', '-')
        ax.set(xlabel='epoch', ylabel='validation accuracy (%)',
               title=f'{view} validation accuracy', ylim=(0, 100))
        if num_classes:
            ax.axhline(100 / num_classes, color='grey', ls='--', lw=1,
                       label=f'chance ({100 / num_classes:.1f}%)')
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc='best')
    if title:
        fig.suptitle(title)
    return save_figure(fig, out_file)
