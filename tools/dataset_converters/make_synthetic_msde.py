"""Generate the procedural synthetic stand-in for MSD-E.

``--masked-view second_photo`` (the default) pairs images as MSD-E does:
the masked image is a second photograph of the same face and expression,
with a mask. ``overlay`` draws the mask on the non-masked image itself (the
benchmark's first version, on which the committed findings were measured).
Each mode has its own default folder, the one the configs name.

Example::

    python tools/dataset_converters/make_synthetic_msde.py
    python tools/dataset_converters/make_synthetic_msde.py \\
        --masked-view overlay   # into data/synthetic_msde
"""
import argparse

from mmsde.datasets import generate_synthetic_msde
from mmsde.datasets.msde_writer import SYNTHETIC_ROOTS
from mmsde.synthetic import MASKED_VIEWS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic masked-FER set in MSD-E layout '
        '(MSD-E/, MSD-ME/, Paired_files.txt, synthetic.json).')
    parser.add_argument(
        'out_dir',
        nargs='?',
        help='output root (default: by masked view, '
        + ', '.join(f'{v}: {r}' for v, r in SYNTHETIC_ROOTS.items()) + ')')
    parser.add_argument(
        '--masked-view',
        choices=MASKED_VIEWS,
        default='second_photo',
        help='how the masked image of a pair is made: a mask drawn on a '
        'second photograph of the same face and expression (second_photo), '
        'or on the non-masked image itself (overlay) (default: %(default)s)')
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
            args.out_dir or SYNTHETIC_ROOTS[args.masked_view],
            num_subjects=args.num_subjects,
            img_size=args.img_size,
            seed=args.seed,
            images_per_expression=args.images_per_expression,
            overwrite=args.overwrite,
            masked_view=args.masked_view)
    except (FileExistsError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    for key, value in summary.items():
        print(f'{key}: {value}')


if __name__ == '__main__':
    main()
