"""Convert WIDER FACE's box files to the VOC layout of MMDetection's
``WIDERFaceDataset`` (``<split>.txt`` + ``WIDER_<split>/Annotations/*.xml``).

Unzip ``WIDER_train.zip``, ``WIDER_val.zip`` and ``wider_face_split.zip``
into ``data/WIDERFace`` first (see configs/face_detection/README.md), then::

    python tools/dataset_converters/wider_face_to_voc.py data/WIDERFace

Boxes are clipped to the image, empty boxes dropped, ``invalid`` faces kept
as ``difficult`` (ignored by MMDetection in training and evaluation).
"""
import argparse
import os.path as osp

from mmsde.datasets.checks import DataEntryError
from mmsde.datasets.wider_face import WIDER_SPLITS, convert_wider_face


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write WIDER FACE annotations as VOC XML + ID lists.')
    parser.add_argument(
        'data_root',
        nargs='?',
        default='data/WIDERFace',
        help='root with WIDER_<split>/images and wider_face_split/ '
        '(default: %(default)s)')
    parser.add_argument(
        '--splits',
        nargs='+',
        choices=WIDER_SPLITS,
        default=list(WIDER_SPLITS),
        help='default: %(default)s')
    parser.add_argument(
        '--ann-dir',
        help='folder of wider_face_<split>_bbx_gt.txt (default: '
        '<data_root>/wider_face_split)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    ann_dir = args.ann_dir or osp.join(args.data_root, 'wider_face_split')
    for split in args.splits:
        ann_file = osp.join(ann_dir, f'wider_face_{split}_bbx_gt.txt')
        try:
            summary = convert_wider_face(ann_file, args.data_root, split)
        except (FileNotFoundError, DataEntryError) as err:
            raise SystemExit(f'error: {err}')
        print(f'{split}: ' + ', '.join(f'{k}={v}' for k, v in
                                       summary.items()))


if __name__ == '__main__':
    main()
