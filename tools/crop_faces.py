"""Detect, align and crop faces of a photo or a folder with MMDetection.

Examples:
    # offline default detector (MTCNN, 5-point alignment), 112 px crops
    python tools/crop_faces.py photos/ crops/
    # any MMDetection face detector, box crops with 20% margin
    python tools/crop_faces.py raw/ crops/ --det-config DET.py \
        --det-checkpoint DET.pth --align box --margin 0.2 --device cuda
    # an MSD-E/ + MSD-ME/ pair layout stays paired
    python tools/crop_faces.py data/msde_raw data/msde --size 224
"""
import argparse
import json

from mmsde.apis.crop_faces import crop_faces
from mmsde.apis.face_detection import FaceDetector
from mmsde.utils import add_trust_argument
from mmsde.utils.face_args import (add_crop_arguments, add_detector_arguments,
                                   crop_settings_from_args, detector_options)
from mmsde.utils.face_crop import NoFaceError
from mmsde.utils.face_tools import exit_unless_face_tools


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Crop faces; the output mirrors the input folders and '
        'holds manifest.jsonl (per image: boxes, scores, landmarks, '
        'decision) and crop_settings.json. A rerun resumes.')
    parser.add_argument('src', help='an image or a folder (recursive)')
    parser.add_argument('out_dir', help='output folder')
    add_detector_arguments(parser)
    add_crop_arguments(parser)
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per detector call (default: '
                        '%(default)s)')
    parser.add_argument('--no-progress', action='store_true')
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/crop_faces.py')
    try:
        summary = crop_faces(args.src, args.out_dir,
                             FaceDetector(**detector_options(args)),
                             crop_settings_from_args(args),
                             batch_size=args.batch_size,
                             progress=not args.no_progress)
    except (FileNotFoundError, ValueError, NoFaceError) as err:
        raise SystemExit(f'error: {err}')
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
