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
from mmsde.apis.face_crop import (ALIGN_MODES, MULTI_FACE_POLICIES,
                                  NO_FACE_POLICIES, CropSettings, NoFaceError)
from mmsde.apis.face_detection import FaceDetector
from mmsde.utils import add_trust_argument


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Crop faces; the output mirrors the input folders and '
        'holds manifest.jsonl (per image: boxes, scores, landmarks, '
        'decision) and crop_settings.json. A rerun resumes.')
    parser.add_argument('src', help='an image or a folder (recursive)')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument(
        '--det-config',
        help='MMDetection face detector config (default: offline MTCNN)')
    parser.add_argument('--det-checkpoint', help='its checkpoint')
    parser.add_argument('--device', default='cpu', help='default: cpu')
    parser.add_argument('--size', type=int, default=112,
                        help='crop side in pixels (default: %(default)s)')
    parser.add_argument('--margin', type=float, default=0.0,
                        help='context around the face, fraction of its '
                        'size (default: %(default)s)')
    parser.add_argument('--align', choices=ALIGN_MODES, default='auto',
                        help='auto: 5-point alignment when the detector '
                        'gives landmarks, box crop otherwise')
    parser.add_argument('--no-face', choices=NO_FACE_POLICIES,
                        default='skip', help='default: %(default)s')
    parser.add_argument('--multi-face', choices=MULTI_FACE_POLICIES,
                        default='largest', help='default: %(default)s')
    parser.add_argument('--score-thr', type=float, default=0.5,
                        help='default: %(default)s')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per detector call (default: '
                        '%(default)s)')
    parser.add_argument('--no-progress', action='store_true')
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        settings = CropSettings(
            size=args.size, margin=args.margin, align=args.align,
            no_face=args.no_face, multi_face=args.multi_face,
            score_thr=args.score_thr)
        detector = FaceDetector(args.det_config, args.det_checkpoint,
                                device=args.device)
        summary = crop_faces(args.src, args.out_dir, detector, settings,
                             batch_size=args.batch_size,
                             progress=not args.no_progress)
    except (FileNotFoundError, ValueError, NoFaceError) as err:
        raise SystemExit(f'error: {err}')
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
