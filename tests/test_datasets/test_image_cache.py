"""cache_images: samples equal to the uncached dataset's, files read once."""
import shutil

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from mmsde.datasets import MSDE

KEYS = ('masked', 'subject', 'pair_id')
AUGMENT = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ShiftScaleRotate', shift_limit=0.06, scale_limit=0.1,
         rotate_limit=3, prob=0.5),
    dict(type='Resize', scale=(48, 48)),
]
SINGLE = [dict(type='LoadImageFromFile')] + AUGMENT + [
    dict(type='PackInputs', algorithm_keys=KEYS)
]
PAIRED = [
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms=AUGMENT),
    dict(type='PackInputs', algorithm_keys=KEYS),
]


def build(root, views, pipeline, cache):
    return MSDE(str(root), split='test', fold=0, num_folds=5, views=views,
                pipeline=pipeline, cache_images=cache)


@pytest.mark.parametrize('views,pipeline', [('both', SINGLE),
                                            ('paired', PAIRED)])
def test_cached_samples_equal_uncached(tiny_msde, views, pipeline):
    plain = build(tiny_msde, views, pipeline, cache=False)
    cached = build(tiny_msde, views, pipeline, cache=True)
    assert plain.image_cache is None and len(cached) == len(plain)
    for idx in range(len(plain)):
        np.random.seed(idx)
        a = plain[idx]
        np.random.seed(idx)
        b = cached[idx]
        views_a = a['inputs'] if views == 'paired' else [a['inputs']]
        views_b = b['inputs'] if views == 'paired' else [b['inputs']]
        for x, y in zip(views_a, views_b):
            assert torch.equal(x, y)
        assert a['data_samples'].pair_id == b['data_samples'].pair_id


def test_cache_holds_every_image_once(tiny_msde, tmp_path):
    root = tmp_path / 'msde'
    shutil.copytree(tiny_msde, root)
    cached = build(root, 'paired', PAIRED, cache=True)
    pairs = len(cached)
    assert cached.image_cache.nbytes == pairs * 2 * 64 * 64 * 3  # 64 px BGR
    for folder in ('MSD-E', 'MSD-ME'):  # served from memory from now on
        shutil.rmtree(root / folder)
    loader = DataLoader(cached, batch_size=4, num_workers=2,
                        collate_fn=pseudo_collate)
    assert sum(len(b['data_samples']) for b in loader) == pairs
    with pytest.raises(ValueError, match='image not found'):
        build(root, 'paired', PAIRED, cache=False)


@pytest.mark.parametrize('views,pipeline,cached', [
    ('both', SINGLE, ['LoadImageFromFile']),
    ('both', [SINGLE[0], AUGMENT[2], AUGMENT[0], SINGLE[-1]],
     ['LoadImageFromFile', 'Resize']),
    ('paired', [PAIRED[0], dict(type='PairedTransform',
                                transforms=[AUGMENT[2]]), PAIRED[-1]],
     ['LoadImagePair', 'PairedTransform']),
    ('paired', PAIRED, ['LoadImagePair']),
])
def test_cache_runs_the_deterministic_head(tiny_msde, views, pipeline,
                                           cached):
    plain = build(tiny_msde, views, pipeline, cache=False)
    ds = build(tiny_msde, views, pipeline, cache=True)
    rest = [type(t).__name__ for t in ds._after_loading.transforms]
    names = [type(t).__name__ for t in ds.pipeline.transforms]
    assert names == cached + rest
    for idx in (0, len(ds) - 1):
        np.random.seed(idx)
        a = plain[idx]
        np.random.seed(idx)
        b = ds[idx]
        assert a['data_samples'].metainfo == b['data_samples'].metainfo


def test_cache_needs_a_loading_transform(tiny_msde):
    with pytest.raises(ValueError, match=r"MSDE: cache_images=True needs the "
                       r"pipeline to start with one of \('LoadImageFromFile'"):
        build(tiny_msde, 'both', SINGLE[1:], cache=True)
