"""Expressions drawn onto a photo or video frame with OpenCV: a box, the
label and its score per face, sized from the image so they read on a
thumbnail and on a 4K frame alike."""
from typing import Sequence

import cv2
import numpy as np

BOX_COLOR = (80, 220, 60)  # BGR
TEXT_COLOR = (20, 20, 20)


def draw_expressions(img: np.ndarray, faces: Sequence) -> np.ndarray:
    """A copy of ``img`` (BGR) with every face's box, label and score.

    Args:
        img: The image.
        faces: :class:`mmsde.apis.inferencer.FaceExpression` (or anything
            with ``box``, ``label``, ``score`` and ``landmarks``).
    """
    out = img.copy()
    h, w = out.shape[:2]
    unit = max(h, w) / 640  # 1 at 640 px
    thick = max(1, round(2 * unit))
    font_scale = max(0.4, 0.6 * unit)
    for face in faces:
        x1, y1, x2, y2 = (int(round(v)) for v in face.box)
        cv2.rectangle(out, (x1, y1), (x2, y2), BOX_COLOR, thick, cv2.LINE_AA)
        if face.landmarks is not None:
            for x, y in np.asarray(face.landmarks):
                cv2.circle(out, (int(round(x)), int(round(y))),
                           max(1, thick), BOX_COLOR, -1, cv2.LINE_AA)
        text = f'{face.label} {face.score:.2f}'
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                         font_scale, max(1, thick // 2))
        pad = max(2, thick)
        top = y1 - th - base - 2 * pad
        if top < 0:  # no room above the box: write inside it
            top = y1
        left = min(max(0, x1), max(0, w - tw - 2 * pad))
        cv2.rectangle(out, (left, top),
                      (left + tw + 2 * pad, top + th + base + 2 * pad),
                      BOX_COLOR, -1)
        cv2.putText(out, text, (left + pad, top + pad + th),
                    cv2.FONT_HERSHEY_SIMPLEX, font_scale, TEXT_COLOR,
                    max(1, thick // 2), cv2.LINE_AA)
    return out
