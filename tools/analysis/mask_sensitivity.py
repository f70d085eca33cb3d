"""How a FER model's prediction on a real photo changes when the face wears
a mask: the photo as it is, then with a synthetic mask of each style placed
from the detector's landmarks (several random draws each).

Example:
    python tools/analysis/mask_sensitivity.py photo.jpg --out masked.png
    python tools/analysis/mask_sensitivity.py photo.jpg --model CONFIG.py \
        --checkpoint CKPT.pth --seeds 5
"""
import argparse
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config

from mmsde.apis.inferencer import MaskedFERInferencer, read_image
from mmsde.synthetic import MASK_STYLES, draw_face_mask
from mmsde.utils import add_trust_argument
from mmsde.utils.face_tools import exit_unless_face_tools
from mmsde.utils.annotate import draw_expressions

DEFAULT_MODEL = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'configs', 'real_faces', 'mini-xception_fer2013-pre_64px-grey_msde.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('photo')
    parser.add_argument('--model', default=DEFAULT_MODEL)
    parser.add_argument('--checkpoint', help="default: the config's "
                        'load_from')
    parser.add_argument('--seeds', type=int, default=3,
                        help='mask draws per style (default: %(default)s)')
    parser.add_argument('--out', help='PNG of the annotated photos')
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/analysis/mask_sensitivity.py')
    try:
        img = read_image(args.photo)
    except ValueError as err:
        raise SystemExit(f'error: {err}')
    checkpoint = args.checkpoint or Config.fromfile(args.model).load_from
    inferencer = MaskedFERInferencer(args.model, checkpoint)
    faces = inferencer.detector.detect([img])[0]
    if not faces or faces[0].landmarks is None:
        raise SystemExit('error: no face with landmarks found in '
                         f'{args.photo}')
    variants = [('no mask', 0, img)] + [
        (style, seed, draw_face_mask(img, faces[0].landmarks, style=style,
                                     rng=np.random.default_rng(seed)))
        for style in MASK_STYLES for seed in range(args.seeds)]
    preds = inferencer.predict([v for _, _, v in variants])
    print(f'{"mask":9s} {"draw":>4s}  faces  label        score  '
          f'(score of the unmasked label)')
    first = preds[0][0].label if preds[0] else None
    for (style, seed, _), found in zip(variants, preds):
        if not found:
            print(f'{style:9s} {seed:4d}  0')
            continue
        top = found[0]
        print(f'{style:9s} {seed:4d}  {len(found):5d}  {top.label:11s} '
              f'{top.score:6.3f}  ({top.scores.get(first, float("nan")):.3f})')
    if args.out:
        drawn = [draw_expressions(v, p) for (_, _, v), p in
                 zip(variants, preds)]
        cv2.imwrite(args.out, grid(drawn, args.seeds, faces[0].box))
        print(f'wrote {args.out}')


def grid(images, cols: int, box, side: int = 256) -> np.ndarray:
    """The unmasked photo on the first row, then one row per mask style,
    each cut to the square of twice the face box around its centre."""
    x1, y1, x2, y2 = box
    half = max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2 - 0.1 * half  # room for labels
    h, w = images[0].shape[:2]
    top, left = int(max(0, cy - half)), int(max(0, cx - half))
    bottom, right = int(min(h, cy + half)), int(min(w, cx + half))
    tiles = [cv2.resize(im[top:bottom, left:right], (side, side))
             for im in images]
    blank = np.full_like(tiles[0], 255)
    rows = [[tiles[0]] + [blank] * (cols - 1)]
    rows += [tiles[k:k + cols] for k in range(1, len(tiles), cols)]
    return np.vstack([np.hstack(row) for row in rows])


if __name__ == '__main__':
    main()
