"""Confusion matrices (non-masked, masked, all; counts and row-normalised)
from the predictions that ``tools/test.py --out`` dumps.

Example:
    python tools/test.py CONFIG CKPT --out work_dirs/preds.pkl
    python tools/visualization/vis_confusion.py work_dirs/preds.pkl
"""
import argparse
import os.path as osp

from mmsde.utils.classes import FER_CLASSES
from mmsde.visualization import (confusion_matrices, draw_confusion,
                                 load_predictions)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('predictions', help='.pkl from tools/test.py --out')
    parser.add_argument('--out', help='PNG path (default: next to the '
                        'predictions, _confusion.png)')
    parser.add_argument('--classes', nargs='+', default=list(FER_CLASSES),
                        help='class names in label order')
    parser.add_argument('--title', default='')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    preds = load_predictions(args.predictions)
    matrices = confusion_matrices(preds, len(args.classes))
    out = args.out or osp.splitext(args.predictions)[0] + '_confusion.png'
    png = draw_confusion(matrices, args.classes, out,
                         args.title or osp.basename(args.predictions))
    for group, counts in matrices.items():
        acc = 100 * counts.trace() / max(counts.sum(), 1)
        print(f'{group:11s} {int(counts.sum()):5d} images, accuracy '
              f'{acc:.2f}%')
    print(f'wrote {png}')


if __name__ == '__main__':
    main()
