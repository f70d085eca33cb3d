"""LoadFaceImage uses a sample's in-memory image, or loads its file exactly
as MMCV's LoadImageFromFile does."""
import cv2
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmpretrain.registry import TRANSFORMS

from mmsde.datasets.transforms import LoadFaceImage


@pytest.fixture
def grey():
    return np.random.default_rng(0).integers(0, 256, (48, 40), np.uint8)


@pytest.fixture
def png_paths(tmp_path, grey):
    """A single-channel grey PNG and a BGR PNG."""
    colour = np.random.default_rng(1).integers(0, 256, (30, 20, 3),
                                               np.uint8)
    paths = [str(tmp_path / 'grey.png'), str(tmp_path / 'colour.png')]
    cv2.imwrite(paths[0], grey)
    cv2.imwrite(paths[1], colour)
    return paths


def test_registered():
    loader = TRANSFORMS.build(dict(type='LoadFaceImage', to_float32=True))
    assert isinstance(loader, LoadFaceImage)
    assert loader.loader.to_float32 is True
    assert 'to_float32' in repr(loader)


def test_grey_array_becomes_bgr(grey):
    results = LoadFaceImage()(dict(img=grey, img_path='fer2013.csv:2'))
    img = results['img']
    assert img.shape == (48, 40, 3) and img.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], grey)
    assert results['img_shape'] == results['ori_shape'] == (48, 40)
    assert results['img_path'] == 'fer2013.csv:2'  # not read


def test_colour_array_is_used_as_is(grey):
    bgr = np.random.default_rng(2).integers(0, 256, (12, 16, 3), np.uint8)
    results = LoadFaceImage()(dict(img=bgr, img_path='nowhere.png'))
    np.testing.assert_array_equal(results['img'], bgr)
    assert results['img_shape'] == results['ori_shape'] == (12, 16)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(color_type='grayscale'),
    dict(color_type='unchanged'),
    dict(to_float32=True),
])
def test_files_load_as_load_image_from_file(png_paths, kwargs):
    for path in png_paths:
        for given in ({}, dict(img=None)):
            ours = LoadFaceImage(**kwargs)(dict(img_path=path, **given))
            theirs = LoadImageFromFile(**kwargs)(dict(img_path=path))
            np.testing.assert_array_equal(ours['img'], theirs['img'])
            assert ours['img'].dtype == theirs['img'].dtype
            assert ours['img_shape'] == ours['ori_shape'] == \
                theirs['img'].shape[:2]
    # a grey file: 3-channel like the in-memory grey images by default
    assert LoadFaceImage()(dict(img_path=png_paths[0]))['img'].shape == (
        48, 40, 3)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(color_type='grayscale'),
    dict(to_float32=True),
])
def test_array_matches_its_file(png_paths, grey, kwargs):
    """An in-memory image gives what its file would give, options alike."""
    from_file = LoadFaceImage(**kwargs)(dict(img_path=png_paths[0]))['img']
    in_memory = LoadFaceImage(**kwargs)(dict(img=grey))['img']
    np.testing.assert_array_equal(in_memory, from_file)
    assert in_memory.dtype == from_file.dtype


def test_errors(tmp_path):
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError):
        LoadFaceImage()(dict(img_path=missing))
    assert LoadFaceImage(ignore_empty=True)(dict(img_path=missing)) is None
    with pytest.raises(TypeError, match='LoadImagePair'):
        LoadFaceImage()(dict(img=[None, None], img_path=['a', 'b']))
