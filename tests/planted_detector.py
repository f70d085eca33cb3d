"""A test double of :class:`mmsde.apis.face_detection.FaceDetector` that
returns faces planted in known images, and photos with a planted face."""
import hashlib

import numpy as np

from mmsde.synthetic import make_identity, render_face
from mmsde.utils.face_crop import Face


def digest(img: np.ndarray) -> str:
    return hashlib.sha1(img.tobytes()).hexdigest()


class PlantedDetector:
    """Returns the faces planted in each image (keyed by its pixels), and
    counts the images it was asked about."""
    config_name = 'planted.py'
    checkpoint = None

    def __init__(self):
        self.faces, self.calls = {}, 0

    def plant(self, img, faces):
        self.faces[digest(img)] = faces

    def detect(self, images):
        self.calls += len(images)
        return [self.faces.get(digest(img), []) for img in images]


def photo_with_face(seed: int, shift: int):
    face, lms = render_face(make_identity(0, seed), seed % 7,
                            np.random.default_rng(seed), 96, jitter=False)
    photo = np.zeros((160, 200, 3), np.uint8)
    photo[30:126, shift:shift + 96] = face
    return photo, Face((shift, 30, shift + 96, 126), 0.99,
                       lms + [shift, 30])
