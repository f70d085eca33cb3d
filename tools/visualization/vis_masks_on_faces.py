"""Masks on real faces at several head turns: scikit-image's LFW subset
(real photographs, 25x25 greyscale), sorted by the yaw their MTCNN landmarks
give. Rows: the face; the mask drawn flat (yaw ignored, the bundled
benchmark's way); the mask turned with the head (the masking tool's way);
the same at FER2013's 48x48.

Example:
    python tools/visualization/vis_masks_on_faces.py
"""
import argparse
import math

import cv2
import numpy as np

from mmsde.synthetic.masks import ALL_MASK_STYLES, draw_face_mask, estimate_yaw
from mmsde.utils.face_tools import exit_unless_face_tools

OUT = 'docs/pictures/masks_on_real_faces.png'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--faces', type=int, default=8,
                        help='columns, spread over the yaws found')
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=OUT, help='default: %(default)s')
    return parser.parse_args()


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.putText(out, text, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                (0, 255, 255), 1, cv2.LINE_AA)
    return out


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/visualization/vis_masks_on_faces.py')
    from skimage import data

    from mmsde.apis.face_detection import FaceDetector
    size = args.size
    faces = [cv2.cvtColor(cv2.resize(
        (f * 255).astype(np.uint8), (size, size),
        interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
        for f in data.lfw_subset()[:100]]
    found = FaceDetector().detect(faces)
    posed = sorted((estimate_yaw(f[0].landmarks), k, f[0].landmarks)
                   for k, f in enumerate(found)
                   if f and f[0].landmarks is not None)
    picks = np.linspace(0, len(posed) - 1, args.faces).round().astype(int)
    columns = []
    for col, i in enumerate(picks):
        yaw, k, lms = posed[i]
        style = ALL_MASK_STYLES[col % len(ALL_MASK_STYLES)]
        flat, turned = (draw_face_mask(faces[k], lms, style,
                                       rng=np.random.default_rng(args.seed),
                                       follow_yaw=follow)
                        for follow in (False, True))
        small = cv2.resize(faces[k], (48, 48), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(draw_face_mask(
            small, lms * 48 / size, style,
            rng=np.random.default_rng(args.seed), follow_yaw=True),
            cv2.COLOR_BGR2GRAY)
        grey = cv2.resize(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR),
                          (size, size), interpolation=cv2.INTER_NEAREST)
        columns.append(np.concatenate([
            label(faces[k], f'yaw {math.degrees(yaw):+.0f}'),
            label(flat, 'flat'), label(turned, style),
            label(grey, '48x48')], axis=0))
    cv2.imwrite(args.out, np.concatenate(columns, axis=1))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
