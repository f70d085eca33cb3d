"""Draw a photo's detected faces (boxes, scores, 5 landmarks) next to each
face's crop, unmasked and with a synthetic mask placed from its landmarks.

Example:
    python tools/visualization/vis_faces.py photo.jpg --out faces.png
    python tools/visualization/vis_faces.py photo.jpg --det-config DET.py \
        --det-checkpoint DET.pth --align box --margin 0.2
"""
import argparse
import os.path as osp

import cv2

from mmsde.apis.face_crop import ALIGN_MODES, CropSettings
from mmsde.apis.face_detection import FaceDetector
from mmsde.utils import add_trust_argument
from mmsde.visualization.faces import draw_face_detections


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('photo', help='image file')
    parser.add_argument('--out', help='PNG (default: <photo>_faces.png)')
    parser.add_argument('--det-config', help='default: offline MTCNN')
    parser.add_argument('--det-checkpoint')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--margin', type=float, default=0.0)
    parser.add_argument('--align', choices=ALIGN_MODES, default='auto')
    parser.add_argument('--score-thr', type=float, default=0.5)
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    img = cv2.imread(args.photo, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f'error: cannot read image {args.photo}')
    detector = FaceDetector(args.det_config, args.det_checkpoint,
                            device=args.device, score_thr=args.score_thr)
    faces = detector.detect([img])[0]
    settings = CropSettings(size=args.size, margin=args.margin,
                            align=args.align, score_thr=args.score_thr)
    out = args.out or osp.splitext(args.photo)[0] + '_faces.png'
    draw_face_detections(img, faces, out, settings,
                         title=osp.basename(args.photo))
    for k, face in enumerate(faces):
        print(f'face {k + 1}: box {[round(v, 1) for v in face.box]}, '
              f'score {face.score:.3f}')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
