"""The picture functions: cluster figures, t-SNE panels, CAMs, confusion
matrices and curves, against independent computations and written files."""
import json
import pickle
import re

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import confusion_matrix
from torch import nn

from mmsde.utils.classes import FER_CLASSES
from mmsde.visualization import (cluster_quality, compute_cams,
                                 confusion_matrices, draw_confusion,
                                 draw_curves, draw_tsne, embed_tsne, find_runs,
                                 load_predictions, read_scalars)
from mmsde.visualization.embedding import FeatureSet


def blobs(separable: bool, n_per_class: int = 20, dim: int = 16):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(7), n_per_class)
    feats = rng.normal(size=(len(labels), dim))
    if separable:
        feats += 8 * np.eye(7, dim)[labels]
    return feats.astype(np.float32), labels


def panel_ink(path, panels: int, axis: int = 1) -> list:
    """Share of non-white pixels in each of ``panels`` equal strips."""
    img = np.asarray(Image.open(path).convert('L'))
    strips = np.array_split(img, panels, axis=axis)
    return [float((s < 240).mean()) for s in strips]


def test_cluster_quality_ranks_separable_above_random():
    good = cluster_quality(*blobs(True))
    bad = cluster_quality(*blobs(False))
    assert good['silhouette'] > 0.5 > bad['silhouette']
    assert good['knn_accuracy'] > 95
    assert bad['knn_accuracy'] < 40  # chance is 14.3
    single = cluster_quality(np.zeros((5, 2)), np.zeros(5, int))
    assert np.isnan(single['silhouette'])


def test_tsne_keeps_clusters_and_draws_three_panels(tmp_path):
    feats, labels = blobs(True)
    masked = np.arange(len(labels)) % 2 == 1
    fs = FeatureSet(feats, labels, masked, [''] * len(labels))
    emb = embed_tsne(feats, seed=0)
    assert emb.shape == (len(labels), 2)
    assert cluster_quality(emb, labels)['knn_accuracy'] > 95
    png = draw_tsne(emb, fs, FER_CLASSES, str(tmp_path / 'tsne.png'), 'toy')
    width, height = Image.open(png).size
    assert (width, height) == (1800, 624)  # 15 x 5.2 in at 120 dpi
    assert all(ink > 0.02 for ink in panel_ink(png, 3))


class PlantedModel(nn.Module):
    """Class 1's logit is the mean of a channel that fires on bright red
    pixels, class 0's the negative; a CAM of class 1 must find them."""

    def __init__(self):
        super().__init__()
        conv = nn.Conv2d(3, 2, 3, padding=1)
        with torch.no_grad():
            conv.weight.zero_()
            conv.weight[0, 0, 1, 1] = 1.0
            conv.weight[1, 1, 1, 1] = 1.0
            conv.bias.zero_()
        self.backbone = nn.Sequential(conv, nn.ReLU())
        self.fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[-1., 0.], [1., 0.]]))

    def forward(self, inputs, mode='tensor'):
        return self.fc(self.backbone(inputs).mean(dim=(2, 3)))


@pytest.mark.parametrize('method', ['gradcam', 'gradcamplusplus', 'xgradcam'])
def test_cam_peaks_on_the_planted_feature(method):
    x = torch.zeros(2, 3, 32, 32)
    x[0, 0, 4:10, 20:26] = 1.0  # top right of image 0
    x[1, 0, 22:28, 3:9] = 1.0  # bottom left of image 1
    cams = compute_cams(PlantedModel().eval(), x, targets=[1, 1],
                        method=method)
    assert cams.shape == (2, 32, 32)
    assert cams.min() >= 0 and cams.max() <= 1
    for cam, (rows, cols) in zip(cams, [(slice(4, 10), slice(20, 26)),
                                        (slice(22, 28), slice(3, 9))]):
        peak = np.unravel_index(cam.argmax(), cam.shape)
        assert rows.start <= peak[0] < rows.stop
        assert cols.start <= peak[1] < cols.stop
        outside = cam.copy()
        outside[rows, cols] = 0
        assert cam[rows, cols].mean() > 5 * outside.mean()


def test_cam_refuses_an_unknown_method_and_layer():
    x = torch.zeros(1, 3, 8, 8)
    with pytest.raises(KeyError, match='unknown CAM method'):
        compute_cams(PlantedModel(), x, method='nope')
    with pytest.raises(KeyError, match='no module'):
        compute_cams(PlantedModel(), x, target_layer='backbone.9')


def made_up_predictions(n: int = 60):
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 7, n)
    pred = np.where(rng.random(n) < 0.6, gt, rng.integers(0, 7, n))
    masked = rng.random(n) < 0.5
    preds = [dict(gt_label=torch.tensor([g]), pred_label=torch.tensor([p]),
                  pred_score=torch.rand(7), masked=bool(m),
                  img_path=f'{i}.png')
             for i, (g, p, m) in enumerate(zip(gt, pred, masked))]
    return preds, gt, pred, masked


def test_confusion_matrices_equal_scikit_learn(tmp_path):
    preds, gt, pred, masked = made_up_predictions()
    path = tmp_path / 'preds.pkl'
    with open(path, 'wb') as f:
        pickle.dump(preds, f)  # as mmengine.dump does for tools/test.py
    matrices = confusion_matrices(load_predictions(str(path)), 7)
    for group, keep in dict(non_masked=~masked, masked=masked,
                            overall=np.ones_like(masked)).items():
        expected = confusion_matrix(gt[keep], pred[keep], labels=range(7))
        np.testing.assert_array_equal(matrices[group], expected)
    png = draw_confusion(matrices, FER_CLASSES, str(tmp_path / 'cm.png'))
    assert all(ink > 0.05 for ink in panel_ink(png, 3))
    assert all(ink > 0.05 for ink in panel_ink(png, 2, axis=0))


# what pickle records for ``open``: io.open, or _io.open from Python 3.12
OPEN_GLOBAL = f'{open.__module__}.{open.__qualname__}'


class WritesMarker:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


def test_predictions_that_would_run_code_are_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump([WritesMarker(str(marker))], f)
    with pytest.raises(pickle.UnpicklingError,
                       match=re.escape('evil.pkl: refusing to unpickle '
                                       f'{OPEN_GLOBAL}')):
        load_predictions(str(path))
    assert not marker.exists()
    with open(path, 'wb') as f:
        pickle.dump([dict(gt_label=1, pred_label=2)], f)
    with pytest.raises(ValueError,
                       match='evil.pkl: prediction 0 has no masked;'):
        load_predictions(str(path))


def write_scalars(run_dir, stamp, train_iters, val_epochs, loss=1.0):
    vis = run_dir / stamp / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(loss=loss, loss_cls=loss / 2, iter=i, epoch=1 + i // 10,
                  step=i) for i in train_iters]
    lines += [{'non_masked/accuracy': 50 + e, 'masked/accuracy': 20 + e,
               'step': e} for e in val_epochs]
    (vis / 'scalars.json').write_text(
        '\n'.join(json.dumps(r) for r in lines) + '\n')


def test_curves_read_resumed_runs_and_kfold_dirs(tmp_path):
    fold0 = tmp_path / 'kfold' / 'fold0'
    write_scalars(fold0, '20260101_000000', [10, 20, 30], [1, 2, 3])
    # resumed from epoch 2: epoch 3 is logged again, with new numbers
    write_scalars(fold0, '20260101_010000', [30, 40], [3, 4], loss=0.5)
    write_scalars(tmp_path / 'kfold' / 'fold1', '20260101_000000',
                  [10, 20, 30, 40], [1, 2, 3, 4])
    train, val = read_scalars(str(fold0))
    assert [r['iter'] for r in train] == [10, 20, 30, 40]
    assert [r['loss'] for r in train] == [1.0, 1.0, 0.5, 0.5]
    assert [r['step'] for r in val] == [1, 2, 3, 4]
    runs = find_runs(str(tmp_path / 'kfold'))
    assert list(runs) == ['fold0', 'fold1']
    png = draw_curves(runs, str(tmp_path / 'curves.png'))
    assert all(ink > 0.02 for ink in panel_ink(png, 3))
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        read_scalars(str(tmp_path))


def test_synthetic_pairs_draws_both_masked_views(tmp_path):
    from mmsde.visualization.synthetic_pairs import draw_synthetic_pairs
    png = draw_synthetic_pairs([(1, 0), (2, 3)], str(tmp_path / 'pairs.png'),
                               img_size=48)
    img = Image.open(png)
    assert img.size == (1080, 444)  # 9 x 3.7 in at 120 dpi
    assert all(ink > 0.1 for ink in panel_ink(png, 6))
    with pytest.raises(ValueError, match='at least one'):
        draw_synthetic_pairs([], str(tmp_path / 'none.png'))
