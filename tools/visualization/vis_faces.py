"""Draw a photo's detected faces (boxes, scores, 5 landmarks) next to each
face's crop, unmasked and with a synthetic mask placed from its landmarks.

Example:
    python tools/visualization/vis_faces.py photo.jpg --out faces.png
    python tools/visualization/vis_faces.py photo.jpg --det-config DET.py \
        --det-checkpoint DET.pth --align box --margin 0.2
"""
import argparse
import os.path as osp

from mmsde.apis.face_detection import FaceDetector
from mmsde.apis.inferencer import read_image
from mmsde.utils import add_trust_argument
from mmsde.utils.face_args import (add_crop_arguments, add_detector_arguments,
                                   crop_settings_from_args, detector_options)
from mmsde.visualization.faces import draw_face_detections


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('photo', help='image file')
    parser.add_argument('--out', help='PNG (default: <photo>_faces.png)')
    add_detector_arguments(parser)
    add_crop_arguments(parser)
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        img = read_image(args.photo)
    except ValueError as err:
        raise SystemExit(f'error: {err}')
    detector = FaceDetector(**detector_options(args),
                            score_thr=args.score_thr)
    faces = detector.detect([img])[0]
    settings = crop_settings_from_args(args)
    out = args.out or osp.splitext(args.photo)[0] + '_faces.png'
    draw_face_detections(img, faces, out, settings,
                         title=osp.basename(args.photo))
    for k, face in enumerate(faces):
        print(f'face {k + 1}: box {[round(v, 1) for v in face.box]}, '
              f'score {face.score:.3f}')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
