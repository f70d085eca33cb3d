"""Label placement of the annotated photos: no label covers another label
or a face, each stays inside the image and next to its face."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from mmsde.utils.annotate import (BOX_COLOR, draw_expressions,
                                          place_labels)


def shared_area(a, b):
    """Overlap of two (x1, y1, x2, y2) rectangles, computed with masks."""
    canvas = np.zeros((2, 1200, 1200), bool)
    for k, (x1, y1, x2, y2) in enumerate((a, b)):
        canvas[k, int(y1):int(y2), int(x1):int(x2)] = True
    return int((canvas[0] & canvas[1]).sum())


def assert_clear(boxes, labels, size):
    width, height = size
    for i, label in enumerate(labels):
        assert 0 <= label[0] and label[2] <= width
        assert 0 <= label[1] and label[3] <= height
        for box in boxes:
            assert shared_area(label, box) == 0, (label, box)
        for other in labels[i + 1:]:
            assert shared_area(label, other) == 0, (label, other)


def test_five_faces_side_by_side_get_labels_that_cover_nothing():
    """Five touching 60 px faces and labels twice as wide: the labels stack
    above and below the row, none over another or over a face, each no
    further than three label heights from its own face."""
    boxes = [(100 + 60 * k, 200, 160 + 60 * k, 270) for k in range(5)]
    sizes = [(120, 20)] * 5
    labels = place_labels(boxes, sizes, (640, 480))
    assert_clear(boxes, labels, (640, 480))
    for box, label in zip(boxes, labels):
        gap = max(box[1] - label[3], label[1] - box[3])
        assert 0 <= gap <= 3 * 20
        assert label[0] < box[2] and label[2] > box[0]  # over its face


def test_a_face_at_the_top_edge_is_labelled_below():
    labels = place_labels([(10, 0, 90, 80)], [(70, 18)], (200, 200))
    assert labels == [(10, 80, 80, 98)]


def test_drawn_labels_are_filled_where_they_were_placed():
    faces = [SimpleNamespace(box=(100 + 60 * k, 200, 160 + 60 * k, 270),
                             label='Happiness', score=0.9, landmarks=None)
             for k in range(5)]
    img = np.zeros((480, 640, 3), np.uint8)
    drawn = draw_expressions(img, faces)
    filled = np.all(drawn == BOX_COLOR, axis=2)
    assert not filled[205:265, 105:155].any()  # inside the first face: empty
    assert filled.sum() > 5 * 60 * 10  # five label backgrounds


@pytest.mark.slow
def test_five_real_faces_close_together(tmp_path):
    """Five copies of a real face cut tight and put side by side, detected
    by the offline MTCNN: the drawn labels cover no face and no label."""
    skimage_data = pytest.importorskip('skimage.data')
    from mmsde.apis.face_detection import (FaceDetector,
                                           default_detector_checkpoint)
    try:
        default_detector_checkpoint()
    except FileNotFoundError as err:
        pytest.skip(str(err))
    face = skimage_data.astronaut()[30:230, 150:300, ::-1]
    row = np.concatenate([face] * 5, axis=1)
    photo = cv2.copyMakeBorder(row, 120, 120, 20, 20, cv2.BORDER_CONSTANT,
                               value=(200, 200, 200))
    found = FaceDetector().detect([photo])[0]
    boxes = [tuple(f.box) for f in found if f.score > 0.9]
    assert len(boxes) == 5
    sizes = [(150, 24)] * 5  # wider than a face
    labels = place_labels(boxes, sizes, photo.shape[1::-1])
    assert_clear(boxes, labels, photo.shape[1::-1])
