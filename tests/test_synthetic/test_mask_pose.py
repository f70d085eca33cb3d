"""Masks that turn with the head: the pose read from 5 landmarks, and the
drawn mask rotated with the eye line (roll) and foreshortened on the far
side (yaw)."""
import math

import numpy as np
import pytest

from mmsde.synthetic.masks import (ALL_MASK_STYLES, MASK_STYLES,
                                   _nose_lever, draw_face_mask,
                                   estimate_roll, estimate_yaw)

FRONTAL = np.array([[40., 50.], [72., 50.], [56., 68.], [44., 86.],
                    [68., 86.]])
GREY = np.full((112, 112, 3), 128, np.uint8)


def mask_pixels(img):
    return np.argwhere(np.any(img != GREY, axis=2))  # (row, col)


def turned(yaw_deg: float) -> np.ndarray:
    """FRONTAL with the nose moved along the eye line as a head turned by
    ``yaw_deg`` shows it."""
    lms = FRONTAL.copy()
    lms[2, 0] += 32 * _nose_lever() * math.tan(math.radians(yaw_deg))
    return lms


@pytest.mark.parametrize('yaw', [-40, -15, 0, 20, 45])
def test_yaw_read_back_from_the_nose_offset(yaw):
    assert math.degrees(estimate_yaw(turned(yaw))) == pytest.approx(yaw)


def test_roll_is_the_eye_line_angle():
    angle = math.radians(20)
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])
    lms = (FRONTAL - 56) @ rot.T + 56
    assert math.degrees(estimate_roll(lms)) == pytest.approx(20)
    assert estimate_yaw(lms) == pytest.approx(0, abs=1e-9)


def test_the_mask_rotates_with_the_eye_line():
    """The principal axis of the mask's pixels turns by the landmarks'
    roll (within the mask's own few degrees of jitter)."""
    def axis_deg(img):
        pts = mask_pixels(img)[:, ::-1].astype(float)  # (x, y)
        pts -= pts.mean(0)
        _, vecs = np.linalg.eigh(pts.T @ pts)
        x, y = vecs[:, -1]
        return math.degrees(math.atan2(y, x)) % 180

    angle = math.radians(25)
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])
    rolled = (FRONTAL - 56) @ rot.T + 56
    rng = np.random.default_rng
    flat = axis_deg(draw_face_mask(GREY, FRONTAL, rng=rng(0)))
    tilted = axis_deg(draw_face_mask(GREY, rolled, rng=rng(0)))
    assert (tilted - flat) % 180 == pytest.approx(25, abs=6)


@pytest.mark.parametrize('style', ALL_MASK_STYLES)
def test_a_turned_head_gets_a_foreshortened_far_side(style):
    """Head turned 35 degrees to the image's right: with follow_yaw the
    mask reaches less far right of the nose (the far side) than left of it
    (the near side); flat, it spans both sides of the eye midpoint alike."""
    lms = turned(35)
    nose_x = lms[2, 0]
    rng = np.random.default_rng
    cols = mask_pixels(draw_face_mask(GREY, lms, style, rng=rng(1),
                                      follow_yaw=True))[:, 1]
    near, far = nose_x - cols.min(), cols.max() - nose_x
    assert far < 0.8 * near
    flat = mask_pixels(draw_face_mask(GREY, lms, style, rng=rng(1)))[:, 1]
    mid = FRONTAL[:2, 0].mean()
    assert (flat.max() - mid) == pytest.approx(mid - flat.min(), rel=0.15)


def test_follow_yaw_changes_nothing_for_a_frontal_face():
    assert estimate_yaw(FRONTAL) == 0  # nose exactly between the eyes
    for style in MASK_STYLES:
        a = draw_face_mask(GREY, FRONTAL, style, rng=np.random.default_rng(4))
        b = draw_face_mask(GREY, FRONTAL, style, rng=np.random.default_rng(4),
                           follow_yaw=True)
        np.testing.assert_array_equal(a, b)
