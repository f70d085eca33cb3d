"""Detection scenes (mmsde.synthetic.scenes)."""
import math

import numpy as np
import pytest

from mmsde.synthetic import make_identity, render_face
from mmsde.synthetic.faces import face_outline
from mmsde.synthetic.render import _pose_matrix
from mmsde.synthetic.scenes import face_box, render_scene

SCENES = [render_scene(0, i, img_size=(192, 144)) for i in range(12)]


def test_scenes_are_deterministic_for_a_seed():
    again = render_scene(0, 3, img_size=(192, 144))
    for field in ('img', 'bboxes', 'landmarks', 'expressions', 'subjects'):
        np.testing.assert_array_equal(getattr(again, field),
                                      getattr(SCENES[3], field))
    other = render_scene(1, 3, img_size=(192, 144))
    assert not np.array_equal(other.img, SCENES[3].img)


def test_scene_shapes_and_face_counts():
    counts = [len(s.bboxes) for s in SCENES]
    assert set(counts) >= {0, 1} and max(counts) >= 2 and max(counts) <= 3
    for s in SCENES:
        n = len(s.bboxes)
        assert s.img.shape == (144, 192, 3) and s.img.dtype == np.uint8
        assert s.bboxes.shape == (n, 4) and s.landmarks.shape == (n, 5, 2)
        assert s.expressions.shape == s.subjects.shape == (n, )
        assert np.all((s.expressions >= 0) & (s.expressions < 7))


def test_boxes_inside_the_image_and_landmarks_inside_their_box():
    sizes = []
    for s in SCENES:
        x1, y1, x2, y2 = s.bboxes.T if len(s.bboxes) else np.zeros((4, 0))
        assert np.all((0 <= x1) & (x1 < x2) & (x2 <= 192))
        assert np.all((0 <= y1) & (y1 < y2) & (y2 <= 144))
        assert np.array_equal(s.bboxes, np.round(s.bboxes))  # whole pixels
        for box, lms in zip(s.bboxes, s.landmarks):
            assert np.all((lms >= box[:2]) & (lms <= box[2:])), (box, lms)
            # eyes above the nose, nose above the mouth corners
            assert lms[:2, 1].max() < lms[2, 1] < lms[3:, 1].min()
            sizes.append(box[3] - box[1])
    assert max(sizes) > 2 * min(sizes)  # several sizes


def test_faces_do_not_overlap():
    for s in SCENES:
        for i in range(len(s.bboxes)):
            for j in range(i + 1, len(s.bboxes)):
                a, b = s.bboxes[i], s.bboxes[j]
                assert (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1]
                        or b[3] <= a[1])


def test_face_box_is_the_oval_of_the_renderer_geometry():
    """face_box, found from the eyes, equals the oval mapped with the
    renderer's own canonical-to-pixel matrix (no jitter)."""
    for subject, size in ((1, 112), (7, 40)):
        ident = make_identity(0, subject)
        _, lms = render_face(ident, 3, np.random.default_rng(0), size,
                             jitter=False)
        ss = max(2, math.ceil(224 / size))
        matrix = _pose_matrix(ident, None, size * ss)
        oval = ((face_outline(ident) @ matrix[:, :2].T + matrix[:, 2]) +
                0.5) / ss - 0.5
        expected = np.concatenate([oval.min(0), oval.max(0)])
        np.testing.assert_allclose(face_box(ident, lms), expected,
                                   atol=1e-6)


def test_scene_faces_are_their_identities_faces():
    """The pasted face is render_face's face of the returned identity and
    expression: its eye distance relative to the box matches a reference
    rendering of that identity."""
    for scene in SCENES:
        for box, lms, subject in zip(scene.bboxes, scene.landmarks,
                                     scene.subjects):
            ident = make_identity(0, int(subject))
            _, ref = render_face(ident, 6, np.random.default_rng(0), 112,
                                 jitter=False)
            ref_box = face_box(ident, ref)
            ratio = (np.linalg.norm(lms[1] - lms[0]) / (box[2] - box[0]))
            ref_ratio = (np.linalg.norm(ref[1] - ref[0]) /
                         (ref_box[2] - ref_box[0]))
            # whole-pixel boxes of small faces and per-image jitter
            assert abs(ratio - ref_ratio) < 0.08, (ratio, ref_ratio)


@pytest.mark.parametrize('kwargs, match', [
    (dict(img_size=16), 'img_size'),
    (dict(num_faces=(2, 1)), 'num_faces'),
    (dict(face_size=(0.5, 1.5)), 'face_size'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        render_scene(0, 0, **kwargs)
