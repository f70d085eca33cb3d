"""Crop geometry and policies (no detector needed)."""
import math

import cv2
import numpy as np
import pytest

from mmsde.synthetic import make_identity, render_face
from mmsde.utils.face_crop import (CropSettings, Face, NoFaceError,
                                   aligned_template, apply_transform,
                                   box_transform, crop_image, crop_transform,
                                   select_faces, similarity_transform)
from mmsde.utils.landmarks import template_landmarks


def similarity(angle_deg: float, scale: float, tx: float, ty: float):
    a = math.radians(angle_deg)
    return np.array([[scale * math.cos(a), -scale * math.sin(a), tx],
                     [scale * math.sin(a), scale * math.cos(a), ty]])


def test_similarity_transform_recovers_a_known_transform():
    src = template_landmarks(112, 112)
    truth = similarity(17.0, 1.8, 40.0, -12.0)
    est = similarity_transform(src, apply_transform(src, truth))
    np.testing.assert_allclose(est, truth, atol=1e-9)
    # OpenCV's estimator agrees on noiseless points
    cv_est, _ = cv2.estimateAffinePartial2D(
        src.astype(np.float32),
        apply_transform(src, truth).astype(np.float32), method=cv2.LMEDS)
    np.testing.assert_allclose(est, cv_est, atol=1e-3)


def test_similarity_transform_is_least_squares_under_noise():
    rng = np.random.default_rng(0)
    src = template_landmarks(112, 112)
    dst = apply_transform(src, similarity(-8, 0.7, 5, 9))
    dst = dst + rng.normal(0, 1.5, dst.shape)
    est = similarity_transform(src, dst)
    err = ((apply_transform(src, est) - dst)**2).sum()
    for _ in range(200):  # no nearby similarity fits better
        a, b = est[0, 0], est[1, 0]
        da, db, dx, dy = rng.normal(0, 1e-3, 4)
        other = np.array([[a + da, -(b + db), est[0, 2] + dx],
                          [b + db, a + da, est[1, 2] + dy]])
        assert ((apply_transform(src, other) - dst)**2).sum() >= err - 1e-9


def test_aligned_crop_undoes_a_rotation_of_the_face():
    """A synthetic face rotated, scaled and moved inside a larger photo
    aligns to the same crop as the upright face itself: same landmarks in
    the crop, same pixels, landmarks near the template."""
    face, lms = render_face(make_identity(0, 3), 3,
                            np.random.default_rng(1), 112, jitter=False)
    warp = similarity(20.0, 1.6, 90.0, 20.0)
    photo = cv2.warpAffine(face, warp, (360, 300))
    settings = CropSettings(size=112)
    _, [(upright, ref)] = crop_image(face, [Face((0, 0, 1, 1), 1.0, lms)],
                                     settings)
    decision, [(crop, record)] = crop_image(
        photo, [Face((0, 0, 1, 1), 0.99, apply_transform(lms, warp))],
        settings)
    assert decision == 'one_face' and record['method'] == 'aligned_5pt'
    np.testing.assert_allclose(record['crop_landmarks'],
                               ref['crop_landmarks'], atol=0.02)
    assert np.abs(np.array(record['crop_landmarks']) -
                  template_landmarks(112, 112)).max() < 8
    inner = (slice(20, 92), slice(20, 92))  # away from the warped border
    diff = np.abs(crop[inner].astype(int) - upright[inner].astype(int))
    assert diff.mean() < 4, diff.mean()


def test_margin_shrinks_the_template_about_the_centre():
    tmpl = aligned_template(100, 0.5)
    np.testing.assert_allclose(tmpl - 50, (template_landmarks(100, 100) - 50)
                               / 1.5)


def test_box_crop_is_a_square_around_the_box_with_margin():
    matrix = box_transform((10, 20, 50, 100), size=64, margin=0.25)
    # the box is 40 x 80: the square side is 80 * 1.25 = 100, centre (30, 60)
    corners = apply_transform([[30 - 50, 60 - 50], [30 + 50, 60 + 50]],
                              matrix)
    np.testing.assert_allclose(corners, [[0, 0], [64, 64]], atol=1e-9)


def test_box_crop_without_landmarks_and_required_landmarks():
    face = Face((10, 10, 60, 60), 0.9, None)
    assert crop_transform(face, CropSettings())[1] == 'box'
    with pytest.raises(ValueError, match="align='landmarks' needs"):
        crop_transform(face, CropSettings(align='landmarks'))
    with_lms = Face((10, 10, 60, 60), 0.9, template_landmarks(50, 50) + 10)
    assert crop_transform(with_lms, CropSettings(align='box'))[1] == 'box'


FACES = [Face((0, 0, 10, 10), 0.95), Face((20, 0, 60, 40), 0.7),
         Face((80, 0, 85, 5), 0.3)]


@pytest.mark.parametrize('policy,expect', [
    ('largest', [FACES[1]]), ('confident', [FACES[0]]),
    ('all', [FACES[0], FACES[1]])])
def test_several_faces_policies(policy, expect):
    chosen, decision = select_faces(FACES, CropSettings(multi_face=policy))
    assert chosen == expect  # the 0.3 face is under the threshold
    assert decision == f'several_faces:{policy}'


def test_no_face_policies():
    img = np.full((40, 80, 3), 7, np.uint8)
    weak = [Face((0, 0, 10, 10), 0.2)]
    assert crop_image(img, weak, CropSettings(no_face='skip')) == (
        'no_face:skip', [])
    decision, [(crop, record)] = crop_image(img, [],
                                            CropSettings(no_face='keep',
                                                         size=32))
    assert decision == 'no_face:keep' and record['method'] == 'whole_image'
    assert crop.shape == (32, 32, 3) and (crop == 7).all()
    with pytest.raises(NoFaceError):
        crop_image(img, weak, CropSettings(no_face='fail'))


def test_settings_are_checked_and_round_trip():
    with pytest.raises(ValueError, match='multi_face must be one of'):
        CropSettings(multi_face='biggest')
    with pytest.raises(ValueError, match='size must be an integer'):
        CropSettings(size=3)
    with pytest.raises(KeyError, match="model cfg: unknown crop setting"):
        CropSettings.from_dict(dict(sise=112), 'model cfg')
    s = CropSettings(size=64, margin=0.1, no_face='keep')
    assert CropSettings.from_dict(s.to_dict()) == s
