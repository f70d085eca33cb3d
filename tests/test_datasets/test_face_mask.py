"""The SyntheticFaceMask pipeline transform."""
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

from mmsde.datasets.transforms import SyntheticFaceMask
from mmsde.utils.landmarks import template_landmarks


def _face(size: int = 112) -> np.ndarray:
    """A textured grey test image."""
    rng = np.random.default_rng(123)
    return rng.integers(60, 120, (size, size, 3), dtype=np.uint8)


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=2)


def test_transform_masks_and_marks():
    img = _face()
    t = TRANSFORMS.build(dict(type='SyntheticFaceMask', styles=['n95']))
    assert isinstance(t, SyntheticFaceMask)
    results = t(dict(img=img.copy()))
    assert results['masked'] is True
    assert _changed(results['img'], img)[80:100, 35:77].mean() > 0.95
    # Landmarks in the results move the mask.
    lms = template_landmarks(112, 112) + [0, -20]
    moved = t(dict(img=img.copy(), landmarks=lms))['img']
    assert _changed(
        moved, img)[:60].sum() > _changed(results['img'], img)[:60].sum() + 500


def test_transform_prob_zero_and_seeding():
    img = _face()
    t = SyntheticFaceMask(prob=0.0)
    results = t(dict(img=img.copy()))
    np.testing.assert_array_equal(results['img'], img)
    assert results['masked'] is False
    assert t(dict(img=img.copy(), masked=True))['masked'] is True
    t = SyntheticFaceMask(prob=1.0)
    np.random.seed(0)
    first = t(dict(img=img.copy()))['img']
    np.random.seed(0)
    np.testing.assert_array_equal(first, t(dict(img=img.copy()))['img'])


def test_transform_args():
    with pytest.raises(ValueError, match=r'prob must be in \[0, 1\], got 1.5'):
        SyntheticFaceMask(prob=1.5)
    with pytest.raises(ValueError,
                       match=r"styles must be a non-empty subset.*'bandana'"):
        SyntheticFaceMask(styles=('surgical', 'bandana'))
    t = SyntheticFaceMask(prob=0.5, styles='cloth', landmarks_key='lms')
    assert repr(t) == ("SyntheticFaceMask(prob=0.5, styles=('cloth',), "
                       "landmarks_key='lms', crop_manifest=None)")
    with pytest.raises(ValueError, match=r'\(5, 2\).*\(10,\)'):
        SyntheticFaceMask()(dict(img=_face(), landmarks=np.zeros(10)))
