"""Drawing of synthetic face masks (mmsde.synthetic.masks)."""
import numpy as np
import pytest

from mmsde.synthetic import MASK_STYLES, check_mask_styles, draw_face_mask
from mmsde.utils.landmarks import template_landmarks


def _face(size: int = 112) -> np.ndarray:
    """A textured grey test image."""
    rng = np.random.default_rng(123)
    return rng.integers(60, 120, (size, size, 3), dtype=np.uint8)


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=2)


@pytest.mark.parametrize('style', MASK_STYLES)
def test_mask_covers_lower_face_only(style):
    img = _face()
    before = img.copy()
    out = draw_face_mask(img, style=style, rng=np.random.default_rng(0))
    assert out.shape == img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(img, before)  # input untouched
    changed = _changed(out, img)
    lms = template_landmarks(112, 112)
    centre = slice(int(lms[0, 0]), int(lms[1, 0]))  # between the eyes
    mouth_to_chin = changed[int(lms[2, 1]) + 2:104, centre]
    above_eyes = changed[:int(lms[:2, 1].min()) - 2]
    assert mouth_to_chin.mean() > 0.95
    assert above_eyes.mean() < 0.005


@pytest.mark.parametrize('style', MASK_STYLES)
def test_mask_follows_landmarks(style):
    img = _face(160)
    lms = template_landmarks(112, 112) + [20, 10]
    shift = np.array([12.0, 18.0])
    a = draw_face_mask(img, lms, style, rng=np.random.default_rng(3))
    b = draw_face_mask(img, lms + shift, style, rng=np.random.default_rng(3))
    ya, xa = np.nonzero(_changed(a, img))
    yb, xb = np.nonzero(_changed(b, img))
    np.testing.assert_allclose(
        [xb.mean() - xa.mean(), yb.mean() - ya.mean()], shift, atol=1.5)
    # Wider eye spacing gives a wider mask.
    wide = lms.copy()
    wide[[0, 3], 0] -= 8
    wide[[1, 4], 0] += 8
    c = draw_face_mask(img, wide, style, rng=np.random.default_rng(3))
    xc = np.nonzero(_changed(c, img))[1]
    assert np.ptp(xc) > np.ptp(xa) + 15


def test_mask_color_and_rng():
    img = _face()
    red = draw_face_mask(
        img, style='cloth', color=(0, 0, 255), rng=np.random.default_rng(1))
    b, g, r = red[80:95, 45:67].reshape(-1, 3).mean(0)
    assert r > 150 and r > 2 * max(b, g)
    again = draw_face_mask(
        img, style='cloth', color=(0, 0, 255), rng=np.random.default_rng(1))
    np.testing.assert_array_equal(red, again)
    np.random.seed(5)
    x = draw_face_mask(img)
    np.random.seed(5)
    np.testing.assert_array_equal(x, draw_face_mask(img))


def test_draw_face_mask_errors():
    img = _face()
    with pytest.raises(ValueError, match=r"'paper'.*allowed.*surgical"):
        draw_face_mask(img, style='paper')
    with pytest.raises(
            ValueError, match=r'shape \(5, 2\).*got shape \(4, 2\)'):
        draw_face_mask(img, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r'H x W x 3.*\(112, 112\)'):
        draw_face_mask(img[..., 0])
    with pytest.raises(ValueError, match='BGR triple'):
        draw_face_mask(img, color=(1, 2))


def test_check_mask_styles():
    assert check_mask_styles('cloth') == ('cloth', )
    assert check_mask_styles(['n95', 'surgical']) == ('n95', 'surgical')
    with pytest.raises(ValueError, match=r"mask_styles must be a non-empty "
                       r"subset of .*got \('paper',\)"):
        check_mask_styles(['paper'], 'mask_styles')
    with pytest.raises(ValueError, match='non-empty'):
        check_mask_styles([])
