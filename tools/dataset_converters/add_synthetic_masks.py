"""Make an MSD-E-style paired set from labelled aligned face crops.

The list is an annotation file (CSV with a header, JSON lines or OpenMMLab
2.0 JSON) with ``img_path`` and ``gt_label`` (0-6 or a class name) and
optionally ``subject``. Example::

    python tools/dataset_converters/add_synthetic_masks.py \
        data/rafdb/aligned data/rafdb/train_list.txt data/rafdb_masked
    # crops of real photos made by tools/crop_faces.py: the masks follow
    # the landmarks its manifest recorded
    python tools/dataset_converters/add_synthetic_masks.py \
        crops/ list.csv out/ --manifest crops/manifest.jsonl
"""
import argparse

from mmsde.datasets import add_synthetic_masks
from mmsde.datasets.crop_manifest import crop_landmarks
from mmsde.synthetic import MASK_STYLES


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Copy face crops to MSD-E/ and masked copies to MSD-ME/, '
        'and write Paired_files.txt.')
    parser.add_argument('img_dir', help='folder of aligned face crops')
    parser.add_argument(
        'ann_file', help='annotation with img_path, gt_label[, subject]')
    parser.add_argument('out_dir', help='output root')
    parser.add_argument(
        '--styles',
        nargs='+',
        default=list(MASK_STYLES),
        choices=MASK_STYLES,
        help='mask styles to draw from (default: all)')
    parser.add_argument(
        '--manifest',
        help='manifest.jsonl of tools/crop_faces.py: place each mask from '
        'the landmarks it recorded for the crop (default: the 5-point '
        'template, right for aligned crops)')
    parser.add_argument(
        '--seed', type=int, default=0, help='default: %(default)s')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing set in a non-empty output directory')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        landmarks = crop_landmarks(args.manifest) if args.manifest else None
        summary = add_synthetic_masks(
            args.img_dir,
            args.ann_file,
            args.out_dir,
            styles=args.styles,
            seed=args.seed,
            overwrite=args.overwrite,
            landmarks=landmarks)
    except (FileExistsError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    for key, value in summary.items():
        print(f'{key}: {value}')


if __name__ == '__main__':
    main()
