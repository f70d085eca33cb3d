"""Draw pairs of the synthetic benchmark in both masked views (overlay and
second photo) side by side, with each pair's difference image.

Example:
    python tools/visualization/vis_synthetic_pairs.py
    python tools/visualization/vis_synthetic_pairs.py --cases 1:3 7:0 \
        --out pairs.png
"""
import argparse
from typing import Tuple

from mmsde.synthetic import EXPRESSIONS
from mmsde.visualization.synthetic_pairs import draw_synthetic_pairs

OUT = 'docs/pictures/synthetic_pairs_overlay_vs_second_photo.png'


def case(text: str) -> Tuple[int, int]:
    """``SUBJECT:LABEL`` -> ``(subject, label)``."""
    try:
        subject, label = (int(v) for v in text.split(':'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{text!r}: expected SUBJECT:LABEL, e.g. 3:5') from None
    if subject < 1 or label not in range(len(EXPRESSIONS)):
        raise argparse.ArgumentTypeError(
            f'{text!r}: subject >= 1, label in 0..{len(EXPRESSIONS) - 1}')
    return subject, label


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', type=case, nargs='+',
                        default=[(1, 0), (2, 3), (3, 5), (4, 4), (5, 6)],
                        help='SUBJECT:LABEL per row (default: 5 subjects, '
                        'surprise, happiness, anger, sadness, neutral)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--img-size', type=int, default=112)
    parser.add_argument('--out', default=OUT, help='default: %(default)s')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print(draw_synthetic_pairs(args.cases, args.out, args.seed,
                               args.img_size))


if __name__ == '__main__':
    main()
