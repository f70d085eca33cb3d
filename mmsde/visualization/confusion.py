"""Confusion matrices of the non-masked, masked and all test images from the
predictions that ``tools/test.py --out preds.pkl`` dumps, drawn as counts and
row-normalised."""
import io
import pickle
from typing import Dict, List, Sequence

import numpy as np
import torch
from sklearn.metrics import ConfusionMatrixDisplay

from mmsde.evaluation.metrics.masked_fer import GROUPS, MaskedFERMetric

from .figures import new_figure, save_figure, short_names

# What tools/test.py's dump holds: dicts and lists of tensors, numpy values
# and strings. Anything else in a predictions file is refused.
_ALLOWED = {
    ('torch._utils', '_rebuild_tensor_v2'),
    ('torch._utils', '_rebuild_tensor'),
    ('torch.storage', '_load_from_bytes'),
    ('torch', 'Size'),
    ('collections', 'OrderedDict'),
    ('_codecs', 'encode'),  # bytes in protocol-2 pickles
    ('numpy', 'dtype'),
    ('numpy', 'ndarray'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
}


class _PredictionUnpickler(pickle.Unpickler):
    """Unpickles only the types a predictions dump is made of."""

    def __init__(self, file, name: str):
        super().__init__(file)
        self.name = name

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED or (
                module == 'numpy.dtypes' and name.endswith('DType')):
            if (module, name) == ('torch.storage', '_load_from_bytes'):
                return _storage_from_bytes
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f'{self.name}: refusing to unpickle {module}.{name}; a '
            'predictions file from tools/test.py --out holds only tensors, '
            'arrays, numbers and strings')


def _storage_from_bytes(data: bytes):
    """Tensor storage of a plain pickle, read with torch's safe loader."""
    return torch.load(io.BytesIO(data), weights_only=True)


def load_predictions(path: str) -> List[dict]:
    """The per-image predictions of ``tools/test.py --out``, unpickled with
    an allow-list (never arbitrary code)."""
    with open(path, 'rb') as f:
        preds = _PredictionUnpickler(f, path).load()
    if not isinstance(preds, list) or not preds:
        raise ValueError(f'{path}: expected a non-empty list of predictions')
    for i, pred in enumerate(preds):
        if not isinstance(pred, dict):
            raise ValueError(f'{path}: prediction {i} is a '
                             f'{type(pred).__name__}, not a dict')
        missing = [k for k in ('gt_label', 'pred_label', 'masked')
                   if k not in pred]
        if missing:
            raise ValueError(f'{path}: prediction {i} has no '
                             f'{", ".join(missing)}; dump '
                             'predictions of a model tested with mmsde\'s '
                             'pipelines (PackInputs with algorithm_keys '
                             '("masked", ...))')
    return preds


def confusion_matrices(preds: Sequence[dict],
                       num_classes: int) -> Dict[str, np.ndarray]:
    """Count matrices (rows: true class, columns: predicted) per group,
    computed by :class:`MaskedFERMetric` exactly as at test time."""
    metric = MaskedFERMetric(num_classes=num_classes)
    metric.process(None, preds)
    results = metric.compute_metrics(metric.results)
    return {g: results[f'{g}/confusion_matrix'] for g in GROUPS
            if f'{g}/confusion_matrix' in results}


def draw_confusion(matrices: Dict[str, np.ndarray],
                   class_names: Sequence[str], out_file: str,
                   title: str = '') -> str:
    """Counts (top row) and row-normalised recall (bottom row) for each
    group, with its accuracy in the panel title. Returns the PNG path."""
    groups = [g for g in GROUPS if g in matrices]
    names = short_names(class_names)
    fig = new_figure((5.2 * len(groups), 9.6))
    axes = np.asarray(fig.subplots(2, len(groups))).reshape(2, len(groups))
    for col, group in enumerate(groups):
        counts = np.asarray(matrices[group])
        total = counts.sum()
        acc = 100 * np.trace(counts) / max(total, 1)
        rows = counts.sum(axis=1, keepdims=True)
        normed = np.divide(counts, rows, out=np.zeros(counts.shape),
                           where=rows > 0)
        for row, (matrix, fmt, label) in enumerate(
                ((counts, 'd', 'counts'), (normed, '.2f', 'row-normalised'))):
            ax = axes[row, col]
            ConfusionMatrixDisplay(matrix, display_labels=names).plot(
                ax=ax, values_format=fmt, cmap='Blues', colorbar=False,
                xticks_rotation=45)
            ax.set_title(f'{group.replace("_", "-")}: {label}\n'
                         f'{int(total)} images, accuracy {acc:.1f}%',
                         fontsize=10)
            ax.set_xlabel('predicted')
            ax.set_ylabel('true')
    if title:
        fig.suptitle(title)
    return save_figure(fig, out_file)
