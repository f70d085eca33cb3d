"""MaskedFERMetric against plain counting and scikit-learn."""
import pickle
from typing import Dict, List
from unittest import mock

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.evaluator import Evaluator
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample
from sklearn.metrics import confusion_matrix, f1_score

from mmsde.datasets import FER_CLASSES
from mmsde.evaluation import MaskedFERMetric

NUM_CLASSES = len(FER_CLASSES)
# (gt_label, pred_label, masked): 5/6 right without a mask, 3/6 with one.
SAMPLES = [
    (0, 0, False), (1, 1, False), (2, 2, False), (3, 3, False),
    (4, 4, False), (5, 6, False),
    (0, 0, True), (1, 2, True), (2, 2, True), (3, 5, True),
    (6, 6, True), (6, 1, True),
]  # yapf: disable


def _scores(pred: int) -> torch.Tensor:
    """Softmax-like scores whose arg-max is ``pred``."""
    score = torch.full((NUM_CLASSES, ), 0.05)
    score[pred] = 0.7
    return score


def _data_sample(gt: int, pred: int, masked: bool) -> DataSample:
    """A predicted sample as the model and PackInputs leave it."""
    sample = DataSample().set_gt_label(gt).set_pred_score(
        _scores(pred)).set_pred_label(pred)
    sample.set_field(masked, 'masked')
    sample.set_field(f's{gt}', 'subject')
    sample.set_field(f'p{gt}', 'pair_id')
    return sample


def _evaluate(metric: MaskedFERMetric, samples: List[tuple],
              meta: bool = True) -> Dict:
    """Run ``metric`` through MMEngine's Evaluator in batches of 5."""
    evaluator = Evaluator(metric)
    if meta:
        evaluator.dataset_meta = dict(classes=FER_CLASSES)
    data_samples = [_data_sample(*s) for s in samples]
    for start in range(0, len(data_samples), 5):
        evaluator.process(data_samples[start:start + 5])
    return evaluator.evaluate(len(data_samples))


def _expected(samples: List[tuple]) -> Dict[str, Dict]:
    """Each group's numbers, computed without mmpretrain."""
    groups = dict(
        non_masked=[s for s in samples if not s[2]],
        masked=[s for s in samples if s[2]],
        overall=samples)
    expected = {}
    for group, members in groups.items():
        gts = [s[0] for s in members]
        preds = [s[1] for s in members]
        class_acc = {
            FER_CLASSES[c]: 100 * sum(p == c for g, p in zip(gts, preds)
                                      if g == c) / gts.count(c)
            for c in set(gts)
        }
        expected[group] = dict(
            n=len(members),
            accuracy=100 * sum(g == p for g, p in zip(gts, preds)) /
            len(members),
            macro_f1=100 * f1_score(gts, preds, average='macro'),
            confusion_matrix=confusion_matrix(
                gts, preds, labels=list(range(NUM_CLASSES))),
            class_accuracy=class_acc)
    return expected


def test_groups_match_independent_computation():
    results = _evaluate(MaskedFERMetric(per_class=True), SAMPLES)
    expected = _expected(SAMPLES)
    assert expected['non_masked']['accuracy'] != pytest.approx(
        expected['masked']['accuracy'])
    for group, exp in expected.items():
        assert results[f'{group}/accuracy'] == pytest.approx(
            exp['accuracy'], abs=1e-4)
        assert results[f'{group}/macro_f1'] == pytest.approx(
            exp['macro_f1'], abs=1e-4)
        matrix = results[f'{group}/confusion_matrix']
        assert isinstance(matrix, np.ndarray)
        assert np.issubdtype(matrix.dtype, np.integer)
        assert matrix.sum() == exp['n']
        np.testing.assert_array_equal(matrix, exp['confusion_matrix'])
        class_keys = {
            k.split('/')[-1]
            for k in results if k.startswith(f'{group}/class_accuracy/')
        }
        assert class_keys == set(exp['class_accuracy'])
        for name, acc in exp['class_accuracy'].items():
            assert results[f'{group}/class_accuracy/{name}'] == pytest.approx(
                acc, abs=1e-4)
    assert results['masked_gap'] == pytest.approx(
        expected['non_masked']['accuracy'] - expected['masked']['accuracy'],
        abs=1e-4)
    assert results['masked_gap'] == pytest.approx(100 * (5 / 6 - 3 / 6),
                                                  abs=1e-4)


def test_class_accuracy_only_on_request():
    results = _evaluate(MaskedFERMetric(), SAMPLES)
    assert not any('class_accuracy' in k for k in results)
    assert 'masked/confusion_matrix' in results


def test_scores_only_and_labels_only_agree():
    full = _evaluate(MaskedFERMetric(), SAMPLES)
    from_scores = MaskedFERMetric()
    from_scores.process(None, [
        dict(gt_label=torch.tensor([g]), pred_score=_scores(p), masked=m)
        for g, p, m in SAMPLES
    ])
    from_labels = MaskedFERMetric(num_classes=NUM_CLASSES)
    from_labels.process(None, [
        dict(gt_label=torch.tensor([g]), pred_label=torch.tensor([p]),
             masked=torch.tensor(m)) for g, p, m in SAMPLES
    ])
    for metric in (from_scores, from_labels):
        results = metric.evaluate(len(SAMPLES))
        assert results.keys() == full.keys()
        for key, value in full.items():
            np.testing.assert_allclose(results[key], value)


def test_class_names_fall_back_to_indices():
    results = _evaluate(
        MaskedFERMetric(num_classes=NUM_CLASSES, per_class=True),
        SAMPLES,
        meta=False)
    assert results['masked/class_accuracy/6'] == pytest.approx(50.0)
    shape = results['non_masked/confusion_matrix'].shape
    assert shape == (NUM_CLASSES, NUM_CLASSES)


def test_empty_group_is_omitted_with_one_warning():
    non_masked = [s for s in SAMPLES if not s[2]]
    metric = MaskedFERMetric()
    target = 'mmsde.evaluation.metrics.masked_fer.print_log'
    with mock.patch(target) as print_log:
        first = _evaluate(metric, non_masked)
        second = _evaluate(metric, non_masked)
    assert first.keys() == second.keys()
    assert not any(k.startswith('masked/') for k in first)
    assert 'masked_gap' not in first
    assert first['non_masked/accuracy'] == pytest.approx(100 * 5 / 6)
    assert first['overall/accuracy'] == first['non_masked/accuracy']
    assert print_log.call_count == 1
    assert 'no masked samples' in print_log.call_args.args[0]


def test_missing_masked_field_raises():
    sample = DataSample().set_gt_label(0).set_pred_score(_scores(0))
    evaluator = Evaluator(MaskedFERMetric())
    pack_hint = r'PackInputs.*algorithm_keys=\("masked"'
    with pytest.raises(KeyError, match=pack_hint):
        evaluator.process([sample])


def test_paired_sample_is_rejected():
    sample = dict(
        gt_label=torch.tensor([0]),
        pred_label=torch.tensor([0]),
        masked=(False, True))
    with pytest.raises(ValueError, match='masked'):
        MaskedFERMetric().process(None, [sample])


def test_label_outside_classes_raises():
    metric = MaskedFERMetric(num_classes=3)
    metric.process(None, [
        dict(gt_label=torch.tensor([5]), pred_label=torch.tensor([0]),
             masked=False)
    ])
    with pytest.raises(AssertionError, match='gt_label=5'):
        metric.evaluate(1)


def test_built_from_registry_with_prefix():
    metric = METRICS.build(dict(type='MaskedFERMetric', prefix='msde'))
    results = _evaluate(metric, SAMPLES)
    assert 'msde/masked/accuracy' in results
    assert 'msde/masked_gap' in results


def _dist_worker(rank: int, world_size: int, init_file: str,
                 out_file: str) -> None:
    """Evaluate as DefaultSampler would shard 11 samples over 2 ranks:
    rank r takes every 2nd index from r, the last one padded with sample 0.
    """
    torch_dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    samples = SAMPLES[:11]
    indices = list(range(len(samples))) + [0]
    evaluator = Evaluator(MaskedFERMetric(per_class=True))
    evaluator.dataset_meta = dict(classes=FER_CLASSES)
    evaluator.process(
        [_data_sample(*samples[i]) for i in indices[rank::world_size]])
    results = evaluator.evaluate(len(samples))
    if rank == 0:
        with open(out_file, 'wb') as f:
            pickle.dump(results, f)
    torch_dist.destroy_process_group()


def test_distributed_counts_each_sample_once(tmp_path):
    out_file = tmp_path / 'results.pkl'
    mp.spawn(
        _dist_worker,
        args=(2, str(tmp_path / 'init'), str(out_file)),
        nprocs=2,
        join=True)
    with open(out_file, 'rb') as f:
        results = pickle.load(f)
    single = _evaluate(MaskedFERMetric(per_class=True), SAMPLES[:11])
    assert results['overall/confusion_matrix'].sum() == 11
    assert results['masked/confusion_matrix'].sum() == 5
    assert results.keys() == single.keys()
    for key, value in single.items():
        np.testing.assert_allclose(results[key], value)
