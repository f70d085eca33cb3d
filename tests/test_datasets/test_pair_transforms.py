"""Paired samples get identical augmentation on both images, or independent
draws with ``share_draws=False``."""
import cv2
import numpy as np
import pytest

import mmsde.datasets  # noqa: F401  (registers the transforms)
from mmsde.datasets.transforms import LoadImagePair, PairedTransform
from mmsde.datasets.transforms.pairs import build_pipeline as Compose

# hue stays 0: mmcv 2.1's adjust_hue overflows on numpy 2 for negative shifts
AUGMENT = [
    dict(type='RandomResizedCrop', scale=48, crop_ratio_range=(0.3, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Rotate', angle=30., prob=1.0, random_negative_prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
         hue=0.),
]


@pytest.fixture
def pair_paths(tmp_path):
    """Two images of one 'face': identical except in the lower half."""
    rng = np.random.default_rng(0)
    face = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    masked = face.copy()
    masked[40:] = (200, 180, 60)
    paths = [str(tmp_path / 'nm.png'), str(tmp_path / 'm.png')]
    cv2.imwrite(paths[0], face)
    cv2.imwrite(paths[1], masked)
    return paths


def run(pipeline, paths, seed):
    np.random.seed(seed)
    return Compose(pipeline)(dict(img_path=list(paths)))


def test_load_image_pair(pair_paths):
    results = LoadImagePair()(dict(img_path=pair_paths))
    assert [img.shape for img in results['img']] == [(64, 64, 3)] * 2
    np.testing.assert_array_equal(results['img'][0], cv2.imread(pair_paths[0]))
    np.testing.assert_array_equal(results['img'][1], cv2.imread(pair_paths[1]))


def test_same_geometry_and_colour_for_both_images(pair_paths):
    """Augmenting a pair of identical images gives identical outputs: every
    crop, flip, rotation and colour draw was shared."""
    pipeline = [dict(type='LoadImagePair'),
                dict(type='PairedTransform', transforms=AUGMENT)]
    twins = [pair_paths[0], pair_paths[0]]
    for seed in range(10):
        a, b = run(pipeline, twins, seed)['img']
        np.testing.assert_array_equal(a, b)


def test_pair_matches_single_image_pipeline(pair_paths):
    """Each output equals the stock single-image pipeline run with the same
    seed: PairedTransform changes nothing but the sharing of random draws."""
    pipeline = [dict(type='LoadImagePair'),
                dict(type='PairedTransform', transforms=AUGMENT)]
    for seed in range(5):
        outputs = run(pipeline, pair_paths, seed)['img']
        for path, out in zip(pair_paths, outputs):
            np.random.seed(seed)
            single = Compose([dict(type='LoadImageFromFile')] + AUGMENT)(
                dict(img_path=path))
            np.testing.assert_array_equal(out, single['img'])


def test_independent_draws_continue_the_generators(pair_paths):
    """share_draws=False: the views are the single-image pipeline run on one
    image after the other from the same seed, so identical images differ."""
    pipeline = [dict(type='LoadImagePair'),
                dict(type='PairedTransform', transforms=AUGMENT,
                     share_draws=False)]
    twins = [pair_paths[0], pair_paths[0]]
    differ = 0
    for seed in range(5):
        a, b = run(pipeline, twins, seed)['img']
        np.random.seed(seed)
        single = Compose([dict(type='LoadImageFromFile')] + AUGMENT)
        expected = [single(dict(img_path=p))['img'] for p in twins]
        np.testing.assert_array_equal(a, expected[0])
        np.testing.assert_array_equal(b, expected[1])
        differ += a.shape != b.shape or not np.array_equal(a, b)
    assert differ == 5


def test_different_seeds_give_different_augmentations(pair_paths):
    pipeline = [dict(type='LoadImagePair'),
                dict(type='PairedTransform', transforms=AUGMENT)]
    outs = {run(pipeline, pair_paths, seed)['img'][0].tobytes()
            for seed in range(5)}
    assert len(outs) > 1


def test_pack_pair_as_two_views(pair_paths):
    pipeline = [
        dict(type='LoadImagePair'),
        dict(type='PairedTransform', transforms=AUGMENT),
        dict(type='PackInputs', algorithm_keys=('masked', 'pair_id')),
    ]
    np.random.seed(0)
    packed = Compose(pipeline)(
        dict(img_path=pair_paths, masked=(False, True), pair_id='p1',
             gt_label=3))
    assert isinstance(packed['inputs'], list) and len(packed['inputs']) == 2
    assert packed['inputs'][0].shape == (3, 48, 48)
    assert packed['data_samples'].masked == (False, True)
    assert packed['data_samples'].gt_label.item() == 3


def test_errors_name_the_problem(pair_paths):
    with pytest.raises(ValueError,
                       match='img_path = \\[non_masked, masked\\]'):
        LoadImagePair()(dict(img_path=pair_paths[0]))
    with pytest.raises(TypeError, match='LoadImagePair'):
        PairedTransform(AUGMENT)(dict(img=np.zeros((8, 8, 3), np.uint8)))


def test_load_image_pair_uses_images_in_memory(pair_paths):
    """An array in img is used (grey expanded to BGR), None is loaded."""
    grey = cv2.imread(pair_paths[0], cv2.IMREAD_GRAYSCALE)
    masked = cv2.imread(pair_paths[1])
    results = LoadImagePair()(dict(img_path=['fer2013.csv:2', pair_paths[1]],
                                   img=[grey, None]))
    nm, m = results['img']
    assert nm.shape == m.shape == (64, 64, 3)
    for c in range(3):
        np.testing.assert_array_equal(nm[..., c], grey)
    np.testing.assert_array_equal(m, masked)
    assert results['img_shape'] == results['ori_shape'] == (64, 64)
    # the other side in memory, an array used as is
    results = LoadImagePair()(dict(img_path=[pair_paths[0], 'm.png'],
                                   img=(None, masked)))
    np.testing.assert_array_equal(results['img'][0],
                                  cv2.imread(pair_paths[0]))
    np.testing.assert_array_equal(results['img'][1], masked)
    # None for both: both loaded, as without img
    results = LoadImagePair()(dict(img_path=pair_paths, img=[None, None]))
    np.testing.assert_array_equal(results['img'][1], masked)


def test_load_image_pair_in_memory_errors(pair_paths):
    small = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match='differ in size'):
        LoadImagePair()(dict(img_path=pair_paths, img=[small, None]))
    for bad in (small, [small], [small, 'x']):
        with pytest.raises(ValueError,
                           match='img = \\[non_masked, masked\\]'):
            LoadImagePair()(dict(img_path=pair_paths, img=bad))


def test_load_image_pair_ignore_empty(pair_paths, tmp_path):
    paths = [pair_paths[0], str(tmp_path / 'missing.png')]
    assert LoadImagePair(ignore_empty=True)(dict(img_path=paths)) is None
