"""Features of a trained model on a test split, their 2-D t-SNE, and how
well the expressions cluster in it (silhouette, kNN accuracy)."""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.utils import ProgressBar
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from torch import nn
from torch.utils.data import DataLoader

from mmsde.apis.model import preprocess

STAGES = ('backbone', 'neck', 'pre_logits')


@dataclass
class FeatureSet:
    """One feature vector per test image, with its data-contract fields."""
    features: np.ndarray  # (N, C) float32
    labels: np.ndarray  # (N,) int expression labels
    masked: np.ndarray  # (N,) bool
    img_paths: list


def _vector(feats, stage: str) -> torch.Tensor:
    """The last output of a stage as (N, C): spatial maps are averaged."""
    if isinstance(feats, (tuple, list)):
        feats = feats[-1]
    if feats.dim() == 4:
        feats = feats.mean(dim=(2, 3))
    if feats.dim() != 2:
        raise ValueError(f'stage {stage!r} gives features of shape '
                         f'{tuple(feats.shape)}; expected (N, C) or '
                         '(N, C, H, W)')
    return feats


@torch.no_grad()
def extract_features(model: nn.Module, loader: DataLoader,
                     stage: str = 'pre_logits',
                     progress: bool = True) -> FeatureSet:
    """Run ``model.extract_feat(..., stage)`` over every batch of ``loader``.

    Args:
        model: An ImageClassifier-like model in eval mode.
        loader: A test loader whose samples carry ``masked``.
        stage: ``'backbone'``, ``'neck'`` or ``'pre_logits'``.
        progress: Show MMEngine's progress bar.

    Returns:
        The features (spatial maps globally averaged) and sample fields.
    """
    if stage not in STAGES:
        raise ValueError(f'stage must be one of {STAGES}, got {stage!r}')
    feats, labels, masked, paths = [], [], [], []
    bar = ProgressBar(len(loader.dataset)) if progress else None
    for batch in loader:
        inputs, samples = preprocess(model, batch)
        feats.append(_vector(model.extract_feat(inputs, stage=stage), stage)
                     .float().cpu())
        for sample in samples:
            if 'masked' not in sample:
                raise KeyError('a test sample has no "masked" field: pack it '
                               'with PackInputs(algorithm_keys=("masked", '
                               '...))')
            labels.append(int(sample.gt_label[0]))
            masked.append(bool(sample.masked))
            paths.append(sample.get('img_path', ''))
            if bar is not None:
                bar.update()
    if bar is not None:
        print()
    return FeatureSet(torch.cat(feats).numpy(), np.asarray(labels),
                      np.asarray(masked, dtype=bool), paths)


def embed_tsne(features: np.ndarray, seed: int = 0,
               perplexity: Optional[float] = None) -> np.ndarray:
    """2-D t-SNE of ``features`` (scikit-learn, PCA initialisation).

    Args:
        features: (N, C) array.
        seed: Random state, so a rerun draws the same picture.
        perplexity: Defaults to 30, lowered for small sets (< N / 3).

    Returns:
        (N, 2) float array.
    """
    n = len(features)
    if n < 4:
        raise ValueError(f't-SNE needs at least 4 samples, got {n}')
    if perplexity is None:
        perplexity = min(30.0, (n - 1) / 3)
    tsne = TSNE(n_components=2, perplexity=perplexity, init='pca',
                random_state=seed)
    return tsne.fit_transform(features.astype(np.float32))


def cluster_quality(points: np.ndarray, labels: np.ndarray,
                    k: int = 5) -> Dict[str, float]:
    """How well ``labels`` cluster among ``points``.

    Returns:
        ``silhouette`` (scikit-learn, in [-1, 1]) and ``knn_accuracy`` (%,
        5-fold cross-validated k-nearest-neighbour accuracy); NaN when the
        points hold fewer than two labels.
    """
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2 or len(points) <= len(classes):
        return dict(silhouette=float('nan'), knn_accuracy=float('nan'))
    folds = int(min(5, counts.min())) if counts.min() >= 2 else 2
    knn = KNeighborsClassifier(n_neighbors=min(k, len(points) - 1))
    try:
        knn_acc = cross_val_score(knn, points, labels, cv=folds).mean()
    except ValueError:  # a class too small to stratify
        knn_acc = float('nan')
    return dict(silhouette=float(silhouette_score(points, labels)),
                knn_accuracy=float(100 * knn_acc))


def view_quality(points: np.ndarray, feature_set: FeatureSet,
                 k: int = 5) -> Dict[str, Dict[str, float]]:
    """:func:`cluster_quality` of the expressions per view: non-masked,
    masked and all images."""
    views = dict(non_masked=~feature_set.masked, masked=feature_set.masked,
                 all=np.ones_like(feature_set.masked))
    return {
        name: cluster_quality(points[keep], feature_set.labels[keep], k)
        for name, keep in views.items() if keep.sum() > 0
    }


def save_embedding(path: str, embedding: np.ndarray, feature_set: FeatureSet,
                   class_names: Sequence[str]) -> None:
    """Write the embedding with its labels, masked flags and image paths
    (``.npz``)."""
    np.savez(path, embedding=embedding, features=feature_set.features,
             labels=feature_set.labels, masked=feature_set.masked,
             img_paths=np.asarray(feature_set.img_paths),
             class_names=np.asarray(class_names))


def draw_tsne(embedding: np.ndarray, feature_set: FeatureSet,
              class_names: Sequence[str], out_file: str,
              title: str = '') -> str:
    """Three t-SNE panels: non-masked images and masked images coloured by
    expression, and all images coloured by view (masked or not).

    Returns:
        The written PNG path.
    """
    from .figures import class_colors, new_figure, save_figure
    fig = new_figure((15, 5.2))
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    colors = class_colors(len(class_names))
    quality = view_quality(embedding, feature_set)
    for ax, (view, keep) in zip(axes[:2], (('non_masked', ~feature_set.masked),
                                           ('masked', feature_set.masked))):
        for label, name in enumerate(class_names):
            sel = keep & (feature_set.labels == label)
            ax.scatter(*embedding[sel].T, s=14, color=colors[label],
                       label=name, alpha=0.85, edgecolors='none')
        q = quality.get(view, {})
        ax.set_title(f'{view.replace("_", "-")} images, by expression\n'
                     f'silhouette {q.get("silhouette", float("nan")):.2f}, '
                     f'5-NN acc. {q.get("knn_accuracy", float("nan")):.1f}%')
    fig.legend(*axes[0].get_legend_handles_labels(), loc='outside lower '
               'center', ncols=len(class_names), title='expression',
               markerscale=1.8)
    for masked, name, color in ((False, 'non-masked', '#1f77b4'),
                                (True, 'masked', '#d62728')):
        sel = feature_set.masked == masked
        axes[2].scatter(*embedding[sel].T, s=14, color=color, label=name,
                        alpha=0.7, edgecolors='none')
    axes[2].set_title('all images, by view')
    axes[2].legend(fontsize=8, markerscale=1.5, loc='best')
    for ax in axes:
        ax.set_xlabel('t-SNE 1')
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel('t-SNE 2')
    if title:
        fig.suptitle(title)
    return save_figure(fig, out_file)
