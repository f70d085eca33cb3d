"""Rendering of the synthetic faces (mmsde.synthetic)."""
import hashlib

import cv2
import numpy as np

from mmsde.datasets import generate_synthetic_msde
from mmsde.synthetic import (draw_face_mask, make_identity, render_face,
                             render_pair)

# Digests of pixels written before the drawing moved to mmsde.synthetic
# (commit c7d7d7b): the set of seed 0 and the masks must never change.
SET_DIGEST = ('414b7460b9f959fd5500ecfca67d8b03'
              'ccce725cc692761c2fcd79aeaff4000f')
MASKS_DIGEST = ('8b0a172b73d9b9cf2591ac9f737fe4f0'
                '815e50720e26fb5fd5eadf92cb218f0d')


def test_set_pixels_unchanged_for_seed_0(tmp_path):
    generate_synthetic_msde(tmp_path, num_subjects=3, img_size=64, seed=0)
    digest = hashlib.sha256()
    for path in sorted(tmp_path.rglob('*')):
        if path.is_file():
            digest.update(str(path.relative_to(tmp_path)).encode())
            digest.update(
                cv2.imread(str(path), cv2.IMREAD_UNCHANGED).tobytes()
                if path.suffix == '.png' else path.read_bytes())
    assert digest.hexdigest() == SET_DIGEST


def test_masks_unchanged():
    img = np.random.default_rng(5).integers(
        0, 255, (96, 80, 3), dtype=np.uint8)
    digest = hashlib.sha256()
    for style in ('surgical', 'cloth', 'n95'):
        digest.update(
            draw_face_mask(img, style=style,
                           rng=np.random.default_rng(1)).tobytes())
    assert digest.hexdigest() == MASKS_DIGEST


def test_mask_changes_lower_face_only():
    for subject, label in [(1, 0), (2, 3), (3, 5), (4, 6), (5, 2)]:
        face, masked, lms = render_pair(0, subject, label, img_size=64)
        changed = np.any(face != masked, axis=2)
        eye_row = int(np.floor(lms[:2, 1].min()))
        assert not changed[:eye_row].any()
        x0, x1 = int(lms[0, 0]), int(lms[1, 0]) + 1
        y0, y1 = int(lms[2, 1]) + 1, int(max(lms[3:, 1])) + 1
        assert changed[y0:y1, x0:x1].mean() > 0.95  # nose tip to mouth


def test_expressions_show_in_upper_face():
    ident = make_identity(0, 7)
    faces, lms = {}, {}
    for label in range(7):
        rng = np.random.default_rng([0, label])
        faces[label], lms[label] = render_face(
            ident, label, rng, img_size=112, jitter=False)
    # Without jitter the pose is fixed: landmarks of eyes/nose agree.
    np.testing.assert_allclose(lms[0][:3], lms[6][:3])
    (lx, ly), (rx, _), (nx, ny) = lms[6][:3].astype(int)
    brows_eyes = np.s_[ly - 20:ly + 5, lx - 8:rx + 9]  # above the mask line
    mouth = np.s_[ny + 6:ny + 34, nx - 20:nx + 21]
    for a in range(7):
        for b in range(a + 1, 7):
            diff = np.abs(faces[a].astype(int) - faces[b].astype(int))
            assert diff[brows_eyes].mean() > 1.0, (a, b)
            assert diff[mouth].mean() > 0.5, (a, b)
