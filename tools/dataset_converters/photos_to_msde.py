"""Labelled photos to a paired masked / non-masked MSD-E-style set:
detect, align, mask, write the MSD-E layout, in one command.

The annotation (CSV with a header, JSON lines or OpenMMLab 2.0 JSON) lists
``img_path`` (relative to PHOTO_DIR), ``gt_label`` (0-6 or a class name)
and optionally ``subject``. Example::

    python tools/dataset_converters/photos_to_msde.py \
        data/my_photos data/my_photos/labels.csv data/my_msde
    python tools/train.py configs/baseline/CONFIG.py \
        --cfg-options train_dataloader.dataset.data_root=data/my_msde
"""
import argparse
import json

from mmsde.apis.face_detection import FaceDetector
from mmsde.apis.photos_to_msde import photos_to_msde
from mmsde.synthetic import MASK_STYLES
from mmsde.utils import add_trust_argument
from mmsde.utils.face_args import (add_crop_arguments, add_detector_arguments,
                                   crop_settings_from_args, detector_options)
from mmsde.utils.face_crop import NoFaceError
from mmsde.utils.face_tools import exit_unless_face_tools


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Crop the faces of labelled photos and write them to '
        'MSD-E/, with a synthetic mask placed from the detected landmarks '
        'to MSD-ME/, and Paired_files.txt.')
    parser.add_argument('photo_dir', help='folder of the photos')
    parser.add_argument('ann_file',
                        help='annotation with img_path, gt_label[, subject]')
    parser.add_argument('out_dir', help='output root (MSD-E layout)')
    parser.add_argument('--crop-dir', help='crops and their manifest '
                        '(default: OUT_DIR_crops; a rerun resumes)')
    add_detector_arguments(parser)
    add_crop_arguments(parser, multi_face=('largest', 'confident'))
    parser.add_argument('--styles', nargs='+', default=list(MASK_STYLES),
                        choices=MASK_STYLES)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing set in OUT_DIR')
    parser.add_argument('--batch-size', type=int, default=8)
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/dataset_converters/photos_to_msde.py')
    try:
        summary = photos_to_msde(
            args.photo_dir, args.ann_file, args.out_dir, args.crop_dir,
            FaceDetector(**detector_options(args)),
            crop_settings_from_args(args),
            styles=args.styles, seed=args.seed,
            overwrite=args.overwrite, batch_size=args.batch_size)
    except (FileExistsError, FileNotFoundError, ValueError,
            NoFaceError) as err:
        raise SystemExit(f'error: {err}')
    print(json.dumps(summary, indent=2, default=str))


if __name__ == '__main__':
    main()
