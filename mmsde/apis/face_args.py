"""Command-line options shared by the face tools (``tools/crop_faces.py``,
``tools/dataset_converters/photos_to_msde.py``,
``tools/visualization/vis_faces.py``): the detector and the crop settings."""
import argparse
from typing import Sequence

from .face_crop import (ALIGN_MODES, MULTI_FACE_POLICIES, NO_FACE_POLICIES,
                        CropSettings)
from .face_detection import FaceDetector


def add_detector_arguments(parser: argparse.ArgumentParser) -> None:
    """``--det-config``, ``--det-checkpoint``, ``--device``."""
    parser.add_argument('--det-config', help='MMDetection face detector '
                        'config (default: the offline MTCNN)')
    parser.add_argument('--det-checkpoint', help='its checkpoint')
    parser.add_argument('--device', default='cpu', help='default: cpu')


def add_crop_arguments(parser: argparse.ArgumentParser,
                       multi_face: Sequence[str] = MULTI_FACE_POLICIES
                       ) -> None:
    """The :class:`CropSettings` options, defaults from the class."""
    default = CropSettings()
    parser.add_argument('--size', type=int, default=default.size,
                        help='crop side in pixels (default: %(default)s)')
    parser.add_argument('--margin', type=float, default=default.margin,
                        help='context around the face, fraction of its '
                        'size (default: %(default)s)')
    parser.add_argument('--align', choices=ALIGN_MODES, default=default.align,
                        help='auto: 5-point alignment when the detector '
                        'gives landmarks, box crop otherwise')
    parser.add_argument('--no-face', choices=NO_FACE_POLICIES,
                        default=default.no_face, help='default: %(default)s')
    parser.add_argument('--multi-face', choices=multi_face,
                        default=default.multi_face,
                        help='default: %(default)s')
    parser.add_argument('--score-thr', type=float, default=default.score_thr,
                        help='default: %(default)s')


def crop_settings_from_args(args: argparse.Namespace) -> CropSettings:
    return CropSettings(size=args.size, margin=args.margin, align=args.align,
                        no_face=args.no_face, multi_face=args.multi_face,
                        score_thr=args.score_thr)


def detector_from_args(args: argparse.Namespace, **kwargs) -> FaceDetector:
    return FaceDetector(args.det_config, args.det_checkpoint,
                        device=args.device, **kwargs)
