"""Command-line options shared by the face tools (``tools/crop_faces.py``,
``tools/dataset_converters/photos_to_msde.py``,
``tools/visualization/vis_faces.py``): the detector and the crop settings.

The tools build the detector themselves
(``FaceDetector(**detector_options(args))``): the options only name it.
"""
import argparse
from typing import Sequence

from .face_crop import (ALIGN_MODES, MULTI_FACE_POLICIES, NO_FACE_POLICIES,
                        CropSettings)


def add_detector_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--det-config``, ``--det-checkpoint`` and ``--device``.

    Args:
        parser: The tool's parser.
    """
    parser.add_argument('--det-config', help='MMDetection face detector '
                        'config (default: the offline MTCNN)')
    parser.add_argument('--det-checkpoint', help='its checkpoint')
    parser.add_argument('--device', default='cpu', help='default: cpu')


def add_crop_arguments(parser: argparse.ArgumentParser,
                       multi_face: Sequence[str] = MULTI_FACE_POLICIES
                       ) -> None:
    """Add the :class:`CropSettings` options, defaults from the class.

    Args:
        parser: The tool's parser.
        multi_face: The ``--multi-face`` policies the tool accepts.
    """
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
    """The :class:`CropSettings` of :func:`add_crop_arguments`' options."""
    return CropSettings(size=args.size, margin=args.margin, align=args.align,
                        no_face=args.no_face, multi_face=args.multi_face,
                        score_thr=args.score_thr)


def detector_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of
    :class:`~mmsde.apis.face_detection.FaceDetector` that
    :func:`add_detector_arguments`' options give (``config``,
    ``checkpoint``, ``device``)."""
    return dict(config=args.det_config, checkpoint=args.det_checkpoint,
                device=args.device)
