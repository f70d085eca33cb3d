"""ShiftScaleRotate and HueSaturationValue against independent computations."""
import colorsys

import cv2
import numpy as np
import pytest

import mmsde.datasets  # noqa: F401
from mmsde.datasets.transforms import HueSaturationValue, ShiftScaleRotate
from mmsde.datasets.transforms.augment import affine_matrix, shift_hsv
from mmsde.datasets.transforms.pairs import build_pipeline


def marked_image(size=33, at=(16, 16)):
    img = np.zeros((size, size, 3), np.uint8)
    img[at] = 255
    return img


def test_shift_moves_a_pixel_by_the_drawn_offset():
    t = ShiftScaleRotate(shift_limit=0.25, scale_limit=0., rotate_limit=0.,
                         prob=1.0, interpolation='nearest')
    np.random.seed(3)
    np.random.rand()  # the prob draw
    np.random.uniform(0, 0)  # angle
    np.random.uniform(1, 1)  # scale
    dx, dy = np.random.uniform(-0.25, 0.25, size=2) * 33
    np.random.seed(3)
    out = t(dict(img=marked_image()))['img']
    y, x = np.argwhere(out[..., 0] == 255)[0]
    assert (x, y) == (round(16 + dx), round(16 + dy))


def test_rotation_by_90_degrees_equals_rot90():
    img = np.random.default_rng(0).integers(0, 255, (31, 31, 3), np.uint8)
    t = ShiftScaleRotate(shift_limit=0., scale_range=(1., 1.),
                         rotate_limit=90., prob=1.0, interpolation='nearest')
    matrix = affine_matrix(img.shape[:2], 90, 1.0, (0, 0))
    out = cv2.warpAffine(img, matrix, (31, 31), flags=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(out, np.rot90(img))  # counter-clockwise
    assert t(dict(img=img))['img'].shape == img.shape


def test_zoom_by_two_about_the_centre():
    img = np.zeros((41, 41, 3), np.uint8)
    img[18:23, 18:23] = 200  # 5x5 square centred at 20
    t = ShiftScaleRotate(shift_limit=0., rotate_limit=0., scale_range=(2, 2),
                         prob=1.0, interpolation='nearest')
    out = t(dict(img=img))['img']
    ys, xs = np.nonzero(out[..., 0])
    # 5 px doubled: 10 px, plus one from nearest-neighbour rounding
    assert ys.max() - ys.min() + 1 in (10, 11)
    assert xs.max() - xs.min() + 1 in (10, 11)
    assert (ys.min() + ys.max()) / 2 == pytest.approx(20, abs=0.5)


def test_prob_zero_and_determinism():
    img = np.random.default_rng(1).integers(0, 255, (20, 24, 3), np.uint8)
    t = ShiftScaleRotate(prob=0.)
    np.testing.assert_array_equal(t(dict(img=img.copy()))['img'], img)
    t = ShiftScaleRotate(shift_limit=0.2, rotate_limit=20, prob=1.)
    np.random.seed(5)
    a = t(dict(img=img.copy()))['img']
    np.random.seed(5)
    b = t(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(a, b)
    assert a.shape == img.shape


@pytest.mark.parametrize('kwargs, match', [
    (dict(shift_limit=-1), 'shift_limit must be >= 0'),
    (dict(prob=2), r'prob must be in \[0, 1\]'),
    (dict(border_mode='wrap'), "'wrap' is not one of"),
    (dict(scale_range=(2, 1)), 'scale_range must be'),
])
def test_shift_scale_rotate_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ShiftScaleRotate(**kwargs)


def expected_hsv_shift(bgr, hue, sat, val):
    """Per-pixel reference with colorsys on OpenCV's HSV scale."""
    hsv = cv2.cvtColor(bgr[None, None], cv2.COLOR_BGR2HSV)[0, 0].astype(int)
    h = (hsv[0] + hue) % 180
    s = min(max(hsv[1] + sat, 0), 255)
    v = min(max(hsv[2] + val, 0), 255)
    r, g, b = colorsys.hsv_to_rgb(h / 180, s / 255, v / 255)
    return np.array([b, g, r]) * 255


@pytest.mark.parametrize('hue, sat, val', [(-10, 0, 0), (10, 30, -20),
                                           (0, -300, 300), (-179, 5, 5)])
def test_shift_hsv_matches_colorsys(hue, sat, val):
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (6, 6, 3), np.uint8)
    out = shift_hsv(img, hue, sat, val)
    for bgr, got in zip(img.reshape(-1, 3), out.reshape(-1, 3)):
        np.testing.assert_allclose(got, expected_hsv_shift(bgr, hue, sat, val),
                                   atol=4)  # OpenCV rounds HSV to uint8


def test_negative_hue_wraps_without_overflow():
    img = np.zeros((1, 1, 3), np.uint8)
    img[0, 0] = cv2.cvtColor(np.uint8([[[5, 255, 255]]]), cv2.COLOR_HSV2BGR)
    out = shift_hsv(img, -10, 0, 0)
    assert cv2.cvtColor(out, cv2.COLOR_BGR2HSV)[0, 0, 0] == pytest.approx(
        175, abs=1)


def test_hue_saturation_value_prob_zero():
    img = np.random.default_rng(3).integers(0, 255, (8, 8, 3), np.uint8)
    out = HueSaturationValue(prob=0.)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, img)


def test_identical_pair_stays_identical():
    img = np.random.default_rng(4).integers(0, 255, (32, 32, 3), np.uint8)
    pipeline = build_pipeline([
        dict(type='PairedTransform', transforms=[
            dict(type='ShiftScaleRotate', shift_limit=0.2, rotate_limit=30,
                 prob=1.),
            dict(type='HueSaturationValue', prob=1.),
        ])
    ])
    for seed in range(10):
        np.random.seed(seed)
        a, b = pipeline(dict(img=[img.copy(), img.copy()]))['img']
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, img)


@pytest.mark.parametrize('shape, dtype', [((10, 12), np.uint8),
                                          ((10, 12, 1), np.uint8),
                                          ((10, 12, 3), np.float32)])
def test_shift_scale_rotate_keeps_shape_and_dtype(shape, dtype):
    img = np.random.default_rng(5).random(shape).astype(dtype)
    out = ShiftScaleRotate(rotate_limit=10, prob=1.)(dict(img=img))['img']
    assert out.shape == shape and out.dtype == dtype


def test_negative_hue_draw_through_the_transform():
    """mmcv 2.1's adjust_hue overflows uint8 here on NumPy 2."""
    img = np.random.default_rng(6).integers(0, 256, (8, 8, 3), np.uint8)
    t = HueSaturationValue(hue_shift=20, sat_shift=0, val_shift=0, prob=1.)
    np.random.seed(2)
    np.random.rand()  # the prob draw
    hue = np.random.uniform(-20, 20)
    assert hue < -10  # seed 2 draws a negative hue shift
    np.random.seed(2)
    out = t(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, shift_hsv(img, hue, 0, 0))


@pytest.mark.parametrize('kwargs, match', [
    (dict(hue_shift=-1), 'hue_shift must be >= 0'),
    (dict(prob=-0.1), r'prob must be in \[0, 1\]'),
])
def test_hue_saturation_value_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HueSaturationValue(**kwargs)


def test_shift_hsv_rejects_non_bgr_uint8():
    with pytest.raises(TypeError, match='HxWx3 uint8 BGR'):
        shift_hsv(np.zeros((4, 4), np.uint8), 1, 0, 0)
