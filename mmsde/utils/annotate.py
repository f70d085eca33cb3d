"""Expressions drawn onto a photo or video frame with OpenCV: a box, the
label and its score per face, sized from the image so they read on a
thumbnail and on a 4K frame alike, and placed (:func:`place_labels`) so
that no label covers another label or any face."""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

BOX_COLOR = (80, 220, 60)  # BGR
TEXT_COLOR = (20, 20, 20)
FONT = cv2.FONT_HERSHEY_SIMPLEX
Rect = Tuple[float, float, float, float]  # x1, y1, x2, y2


def overlap(a: Rect, b: Rect) -> float:
    """Area shared by two rectangles (0 when they only touch)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def label_candidates(box: Rect, size: Tuple[int, int],
                     image_size: Tuple[int, int], rows: int
                     ) -> List[Rect]:
    """Where a label of ``size`` (w, h) may go, nearest first: above the
    box, then below it, left- then right-aligned with it, one label height
    further out each step, kept inside the image horizontally."""
    x1, y1, x2, y2 = box
    w, h = size
    width, _ = image_size
    lefts = [min(max(0, x1), max(0, width - w)),
             min(max(0, x2 - w), max(0, width - w))]
    spots = []
    for k in range(rows):
        for top in (y1 - (k + 1) * h, y2 + k * h):
            spots += [(left, top, left + w, top + h) for left in lefts]
    return spots


def place_labels(boxes: Sequence[Rect], sizes: Sequence[Tuple[int, int]],
                 image_size: Tuple[int, int]) -> List[Rect]:
    """A rectangle per label, inside the image, covering no face box and no
    other label where such a place exists (else the place that covers the
    least); faces are labelled top to bottom, left to right.

    Args:
        boxes: Face boxes ``(x1, y1, x2, y2)``.
        sizes: Label sizes ``(w, h)``, padding included.
        image_size: ``(width, height)``.
    """
    width, height = image_size
    placed: List[Rect] = [None] * len(boxes)
    taken: List[Rect] = list(boxes)
    rows = max(2, int(height // max(1, min((h for _, h in sizes),
                                         default=1))))
    for i in sorted(range(len(boxes)), key=lambda k: boxes[k][1::-1]):
        best, best_cost = None, None
        for spot in label_candidates(boxes[i], sizes[i], image_size, rows):
            if spot[1] < 0 or spot[3] > height:
                continue
            cost = sum(overlap(spot, other) for other in taken)
            if best is None or cost < best_cost:
                best, best_cost = spot, cost
            if cost == 0:
                break
        if best is None:  # taller than the image: top-left of the box
            x1, y1 = boxes[i][:2]
            best = (x1, y1, x1 + sizes[i][0], y1 + sizes[i][1])
        placed[i] = best
        taken.append(best)
    return placed


def draw_expressions(img: np.ndarray, faces: Sequence) -> np.ndarray:
    """A copy of ``img`` (BGR) with every face's box, landmarks, label and
    score; a label set away from its box is joined to it by a line.

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
    text_thick = max(1, thick // 2)
    pad = max(2, thick)
    texts = [f'{face.label} {face.score:.2f}' for face in faces]
    metrics = [cv2.getTextSize(t, FONT, font_scale, text_thick)
               for t in texts]
    sizes = [(tw + 2 * pad, th + base + 2 * pad)
             for (tw, th), base in metrics]
    boxes = [tuple(float(v) for v in face.box) for face in faces]
    spots = place_labels(boxes, sizes, (w, h))
    for face, box in zip(faces, boxes):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), BOX_COLOR, thick, cv2.LINE_AA)
        if face.landmarks is not None:
            for x, y in np.asarray(face.landmarks):
                cv2.circle(out, (int(round(x)), int(round(y))),
                           max(1, thick), BOX_COLOR, -1, cv2.LINE_AA)
    for text, ((_, th), _), box, spot in zip(texts, metrics, boxes, spots):
        left, top, right, bottom = (int(round(v)) for v in spot)
        above = bottom <= box[1] + 1
        touching = abs(bottom - box[1]) <= 1 or abs(top - box[3]) <= 1
        if not touching:  # set away from its box: a leader line
            cx = int(round(min(max((left + right) / 2, box[0]), box[2])))
            cv2.line(out, (cx, bottom if above else top),
                     (cx, int(round(box[1] if above else box[3]))),
                     BOX_COLOR, max(1, thick // 2), cv2.LINE_AA)
        cv2.rectangle(out, (left, top), (right, bottom), BOX_COLOR, -1)
        cv2.putText(out, text, (left + pad, top + pad + th), FONT,
                    font_scale, TEXT_COLOR, text_thick, cv2.LINE_AA)
    return out
