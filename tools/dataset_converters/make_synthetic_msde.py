"""Generate the procedural synthetic stand-in for MSD-E.

Example::

    python tools/dataset_converters/make_synthetic_msde.py data/synthetic_msde
"""
import argparse

from mmsde.datasets import generate_synthetic_msde


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic masked-FER set in MSD-E layout '
        '(MSD-E/, MSD-ME/, Paired_files.txt).')
    parser.add_argument(
        'out_dir',
        nargs='?',
        default='data/synthetic_msde',
        help='output root (default: %(default)s)')
    parser.add_argument(
        '--num-subjects', type=int, default=142, help='default: %(default)s')
    parser.add_argument(
        '--img-size', type=int, default=112, help='default: %(default)s')
    parser.add_argument(
        '--seed', type=int, default=0, help='default: %(default)s')
    parser.add_argument(
        '--images-per-expression',
        type=int,
        default=1,
        help='images per subject and expression (default: %(default)s)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing set in a non-empty output directory')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        summary = generate_synthetic_msde(
            args.out_dir,
            num_subjects=args.num_subjects,
            img_size=args.img_size,
            seed=args.seed,
            images_per_expression=args.images_per_expression,
            overwrite=args.overwrite)
    except (FileExistsError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    for key, value in summary.items():
        print(f'{key}: {value}')


if __name__ == '__main__':
    main()
