"""Speed of the masking tool (:func:`mmsde.apis.mask_dataset.mask_dataset`),
images per second, on generated RAF-DB-layout sets: aligned faces of
``--size`` px with the template's landmarks, the same with MTCNN finding
them, and 48x48 greyscale faces (FER2013's size). Each row is the median of
``--rounds`` runs over ``--images`` images (files written, manifest
included). ``--append FILE`` adds the table with the command.

    python tools/benchmark/masking_speed.py [--images 200] \
        [--append docs/benchmarks.md]
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from mmsde.utils.benchmark import append_report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=200)
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--cases', nargs='+',
                        default=['template', 'mtcnn', 'grey48'],
                        choices=['template', 'mtcnn', 'grey48'])
    parser.add_argument('--append', help='markdown file to append to')
    return parser.parse_args()


def write_rafdb(root: Path, count: int, size: int, grey: bool) -> Path:
    """RAF-DB's layout with ``count`` generated aligned faces."""
    from mmsde.synthetic import make_identity, render_face
    (root / 'EmoLabel').mkdir(parents=True)
    (root / 'Image' / 'aligned').mkdir(parents=True)
    lines = []
    for k in range(count):
        face, _ = render_face(make_identity(k % 20, 1), k % 7,
                              np.random.default_rng(k), size)
        if grey:
            face = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
        cv2.imwrite(str(root / 'Image' / 'aligned' /
                        f'train_{k:05d}_aligned.jpg'), face)
        lines.append(f'train_{k:05d}.jpg {k % 7 + 1}')
    (root / 'EmoLabel' / 'list_patition_label.txt').write_text(
        '\n'.join(lines) + '\n')
    return root


def one_round(root: Path, case: str) -> tuple:
    """Seconds to mask the set once (masked copies replaced), and how many
    were masked."""
    from mmsde.apis.mask_dataset import LandmarkFinder, mask_dataset
    from mmsde.datasets import RAFDB
    detector = None
    if case == 'mtcnn':
        from mmsde.apis.face_detection import FaceDetector
        detector = FaceDetector()
    sources = ['mtcnn'] if case == 'mtcnn' else ['template']
    dataset = RAFDB(str(root), masked_dir='masked', lazy_init=True)
    finder = LandmarkFinder(sources, detector=detector)
    start = time.perf_counter()
    report = mask_dataset(dataset, finder, overwrite=True, progress=False)
    return time.perf_counter() - start, report.masked


def main() -> None:
    args = parse_args()
    lines = ['| images | landmarks | images/s | seconds | masked |',
             '| --- | --- | --- | --- | --- |']
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases:
            size = 48 if case == 'grey48' else args.size
            root = write_rafdb(Path(tmp) / case, args.images, size,
                               grey=case == 'grey48')
            runs = [one_round(root, case) for _ in range(args.rounds)]
            seconds = statistics.median(s for s, _ in runs)
            what = {'template': 'aligned template',
                    'mtcnn': 'MTCNN (detected)',
                    'grey48': 'aligned template'}[case]
            lines.append(f'| {size}x{size}'
                         f'{" grey" if case == "grey48" else ""} | {what} | '
                         f'{args.images / seconds:.1f} | {seconds:.3f} | '
                         f'{runs[0][1]} of {args.images} |')
            print(lines[-1], flush=True)
    text = (f'`mask_dataset` on {args.images} generated aligned faces per '
            f'row (RAF-DB layout, all 5 styles, masks turned with the head, '
            f'files and manifest written), median of {args.rounds} rounds.'
            '\n\n' + '\n'.join(lines))
    print(text)
    if args.append:
        append_report(args.append, text)


if __name__ == '__main__':
    main()
