"""Accuracy, macro-F1 and confusion matrices of masked and non-masked faces.

MSD-E (Masked Student Dataset of Expressions, https://arxiv.org/abs/2304.03867)
reports every model on the non-masked test images, on the masked test images
and on both together. :class:`MaskedFERMetric` computes each group's numbers
from that group's own predictions; it reads only the data-contract fields
``gt_label``, ``pred_label``/``pred_score`` and ``masked``.
"""
import logging
from typing import Any, Dict, List, Optional, Sequence, Set

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.evaluation import Accuracy, ConfusionMatrix, SingleLabelMetric
from mmpretrain.registry import METRICS

GROUPS = ('non_masked', 'masked', 'overall')

MISSING_MASKED_MSG = (
    'a data sample has no "masked" field; MaskedFERMetric needs it to split '
    'the predictions into masked and non-masked faces. Pack it in the '
    'dataset pipeline: dict(type="PackInputs", algorithm_keys=("masked", '
    '"subject", "pair_id")).')


def _scalar(value: Any, name: str) -> Any:
    """Turn a one-element tensor, array or sequence into a Python scalar.

    Args:
        value: The field of one data sample.
        name: Its name, for the error message.

    Returns:
        The plain Python value.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        return value
    if value.size == 1:
        return value.item()
    raise ValueError(
        f'MaskedFERMetric expects one value of "{name}" per data sample (one '
        f'image per sample, not a pair), got {value!r}.')


@METRICS.register_module()
class MaskedFERMetric(BaseMetric):
    """Top-1 accuracy, macro-F1, class accuracy and confusion matrix of the
    non-masked, the masked and all test faces.

    The protocol of MSD-E (https://arxiv.org/abs/2304.03867): each group's
    numbers come from its own predictions, so the masked confusion matrix is
    built from the masked predictions. Every data sample must carry
    ``masked`` (packed with ``PackInputs(algorithm_keys=('masked', ...))``).

    For each group ``G`` in ``non_masked``, ``masked`` and ``overall``:

    - ``G/accuracy``: top-1 accuracy (%), from
      :meth:`mmpretrain.evaluation.Accuracy.calculate`.
    - ``G/macro_f1``: mean F1-score (%) over the classes that occur among the
      group's labels or predictions (scikit-learn's ``f1_score(...,
      average='macro')``); per-class F1 from
      :meth:`mmpretrain.evaluation.SingleLabelMetric.calculate`.
    - ``G/class_accuracy/<class>`` (with ``per_class=True``): recall (%) of
      each class present in the group's labels.
    - ``G/confusion_matrix``: ``np.ndarray`` of int counts, rows are the true
      classes and columns the predicted ones, from
      :meth:`mmpretrain.evaluation.ConfusionMatrix.calculate`.

    and ``masked_gap`` = ``non_masked/accuracy - masked/accuracy``. A group
    without samples is left out of the results (with a warning, once).

    Each rank keeps one plain record per sample (labels and the masked flag
    as Python values) and :meth:`BaseMetric.evaluate` gathers them, so every
    sample counts once in distributed evaluation.

    Args:
        num_classes (int, optional): Number of classes, used when the dataset
            meta has no ``classes``. If neither is set, the samples'
            ``num_classes`` (the length of ``pred_score``) is used.
            Defaults to None.
        per_class (bool): Also output the accuracy of each class.
            Defaults to False.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names, e.g. ``'msde'``
            gives ``'msde/masked/accuracy'``. Defaults to None (no prefix).
        collect_dir (str, optional): Directory shared by the ranks to collect
            results when ``collect_device='cpu'``. Defaults to None.

    Examples:
        >>> val_evaluator = dict(type='MaskedFERMetric', per_class=True)
        >>> default_hooks = dict(
        ...     checkpoint=dict(save_best='masked/accuracy', rule='greater'))
    """
    # '' instead of None: keys stay unprefixed without BaseMetric's warning
    # about a missing prefix.
    default_prefix: Optional[str] = ''

    def __init__(self,
                 num_classes: Optional[int] = None,
                 per_class: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.num_classes = num_classes
        self.per_class = per_class
        self._warned_empty: Set[str] = set()

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store one plain record per data sample.

        Args:
            data_batch: A batch of data from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, as dicts with
                ``gt_label``, ``pred_label`` or ``pred_score`` and ``masked``.

        Raises:
            KeyError: A sample has no ``masked`` field.
        """
        for data_sample in data_samples:
            self.results.append(self._record(data_sample))

    @staticmethod
    def _record(data_sample: dict) -> dict:
        """The plain record of one data sample.

        Args:
            data_sample (dict): One output of the model.

        Returns:
            dict: ``gt_label`` and ``pred_label`` (int), ``masked`` (bool)
            and, when known, ``num_classes`` (int, from the sample's
            ``num_classes`` or the length of ``pred_score``).
        """
        if 'masked' not in data_sample:
            raise KeyError(MISSING_MASKED_MSG)
        record = dict(
            gt_label=int(_scalar(data_sample['gt_label'], 'gt_label')),
            masked=bool(_scalar(data_sample['masked'], 'masked')))
        if 'pred_label' in data_sample:
            pred_label = _scalar(data_sample['pred_label'], 'pred_label')
        else:
            pred_label = data_sample['pred_score'].argmax()
        record['pred_label'] = int(pred_label)
        num_classes = data_sample.get('num_classes')
        if num_classes is None and 'pred_score' in data_sample:
            num_classes = data_sample['pred_score'].numel()
        if num_classes is not None:
            record['num_classes'] = int(num_classes)
        return record

    def compute_metrics(self, results: List[dict]) -> Dict[str, Any]:
        """Compute every group's metrics from the gathered records.

        Args:
            results (list[dict]): The records of all samples of all ranks.

        Returns:
            dict: Metric name to value (floats, and ``np.ndarray`` for the
            confusion matrices).
        """
        class_names = self._class_names(results)
        members = dict(
            non_masked=[r for r in results if not r['masked']],
            masked=[r for r in results if r['masked']],
            overall=list(results))
        metrics: Dict[str, Any] = {}
        for group in GROUPS:
            if not members[group]:
                self._warn_empty(group)
                continue
            for name, value in self._group_metrics(members[group],
                                                   class_names).items():
                metrics[f'{group}/{name}'] = value
        if 'non_masked/accuracy' in metrics and 'masked/accuracy' in metrics:
            metrics['masked_gap'] = (
                metrics['non_masked/accuracy'] - metrics['masked/accuracy'])
        return metrics

    def _class_names(self, results: List[dict]) -> List[str]:
        """Class names from the dataset meta, else indices as strings.

        Args:
            results (list[dict]): The records, for ``num_classes`` and the
                label range check.

        Returns:
            list[str]: One name per class.
        """
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None:
            assert self.num_classes in (None, len(classes)), (
                f'MaskedFERMetric: num_classes={self.num_classes} differs '
                f'from the {len(classes)} classes of the dataset meta.')
            names = [str(c) for c in classes]
        else:
            num_classes = self.num_classes or max(
                (r.get('num_classes', 0) for r in results), default=0)
            assert num_classes > 0, (
                'MaskedFERMetric needs the number of classes: set '
                '`num_classes`, `classes` in the dataset meta, or output '
                '`pred_score`.')
            names = [str(i) for i in range(num_classes)]
        for r in results:
            for key in ('gt_label', 'pred_label'):
                assert 0 <= r[key] < len(names), (
                    f'MaskedFERMetric: {key}={r[key]} is outside the '
                    f'{len(names)} classes {names}.')
        return names

    def _group_metrics(self, records: List[dict],
                       class_names: List[str]) -> Dict[str, Any]:
        """Accuracy, macro-F1, class accuracy and confusion matrix of one
        group.

        Args:
            records (list[dict]): The group's records (at least one).
            class_names (list[str]): Names of all classes.

        Returns:
            dict: Metric name (without the group) to value.
        """
        num_classes = len(class_names)
        pred = torch.tensor([r['pred_label'] for r in records])
        target = torch.tensor([r['gt_label'] for r in records])
        matrix = ConfusionMatrix.calculate(pred, target, num_classes)
        _, recall, f1, support = SingleLabelMetric.calculate(
            pred, target, average=None, num_classes=num_classes)
        occurring = (matrix.sum(0) + matrix.sum(1)) > 0
        metrics: Dict[str, Any] = dict(
            accuracy=Accuracy.calculate(pred, target).item(),
            macro_f1=f1[occurring].mean().item())
        if self.per_class:
            for idx, name in enumerate(class_names):
                if support[idx] > 0:
                    metrics[f'class_accuracy/{name}'] = recall[idx].item()
        metrics['confusion_matrix'] = matrix.numpy()
        return metrics

    def _warn_empty(self, group: str) -> None:
        """Warn, once per group, that a group has no samples.

        Args:
            group (str): The group's name.
        """
        if group in self._warned_empty:
            return
        self._warned_empty.add(group)
        print_log(
            f'MaskedFERMetric: no {group} samples in the evaluated data, '
            f'so the {group}/* metrics are left out.',
            logger='current',
            level=logging.WARNING)
