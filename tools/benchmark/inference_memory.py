"""Peak memory (RSS) of ``tools/infer.py`` over a generated video and over a
folder of generated photos, at each ``--counts`` of frames: flat when the
inputs are streamed a chunk at a time.

Each frame is ``face_photo`` (the astronaut's face on the coffee scene) at
``--size``, shifted a little from frame to frame; the video is MJPG. Every
count runs ``tools/infer.py`` in a fresh process (writing the annotated
outputs to a temporary folder) and reports its peak RSS, its wall time and
frames per second. ``--append FILE`` adds the table with the command.

    python tools/benchmark/inference_memory.py [--counts 100 2000] \
        [--size 320x240] [--append docs/benchmarks.md]
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from mmsde.utils.benchmark import append_report, face_photo

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# runs a command and prints its peak RSS in KiB (Linux: ru_maxrss is KiB)
PEAK_RSS = ('import resource, subprocess, sys; '
            'rc = subprocess.run(sys.argv[1:]).returncode; '
            'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); '
            'sys.exit(rc)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--counts', type=int, nargs='+', default=[100, 2000])
    parser.add_argument('--size', default='320x240')
    parser.add_argument('--kinds', nargs='+', default=['video', 'folder'],
                        choices=['video', 'folder'])
    parser.add_argument('--append', help='markdown file to append to')
    return parser.parse_args()


def frames(count: int, width: int, height: int):
    """``count`` frames of the face photo, shifted up to 15 px sideways."""
    photo = face_photo(width, height)
    for k in range(count):
        yield np.roll(photo, (k % 31) - 15, axis=1)


def write_inputs(kind: str, count: int, width: int, height: int,
                 root: Path) -> Path:
    if kind == 'video':
        path = root / f'clip{count}.avi'
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'),
                                 25, (width, height))
        for frame in frames(count, width, height):
            writer.write(frame)
        writer.release()
        return path
    folder = root / f'photos{count}'
    folder.mkdir()
    for k, frame in enumerate(frames(count, width, height)):
        cv2.imwrite(str(folder / f'{k:05d}.jpg'), frame)
    return folder


def run_infer(source: Path, out_dir: Path) -> dict:
    """Peak RSS (MiB) and seconds of ``tools/infer.py`` on ``source``."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, '-c', PEAK_RSS, sys.executable,
         osp.join(REPO, 'tools', 'infer.py'), str(source), '--out-dir',
         str(out_dir)], capture_output=True, text=True, cwd=REPO,
        env=dict(os.environ, OMP_WAIT_POLICY='PASSIVE'))
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f'tools/infer.py failed on {source}:\n'
                         f'{proc.stderr[-2000:]}')
    return dict(rss=int(proc.stdout.strip().splitlines()[-1]) / 1024,
                seconds=seconds)


def main() -> None:
    args = parse_args()
    width, height = (int(v) for v in args.size.split('x'))
    lines = ['| input | frames | peak RSS MiB | seconds | frames/s |',
             '| --- | --- | --- | --- | --- |']
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds:
            for count in args.counts:
                source = write_inputs(kind, count, width, height, Path(tmp))
                result = run_infer(source, Path(tmp) / f'out_{kind}{count}')
                lines.append(
                    f'| {kind} | {count} | {result["rss"]:.0f} | '
                    f'{result["seconds"]:.1f} | '
                    f'{count / result["seconds"]:.1f} |')
                print(lines[-1], flush=True)
    text = (f'`tools/infer.py` (offline MTCNN + FER2013 mini-Xception, '
            f'annotated outputs written) on {args.size} frames with one '
            'face each, one fresh process per row; seconds include loading '
            'the models.\n\n' + '\n'.join(lines))
    print(text)
    if args.append:
        append_report(args.append, text)


if __name__ == '__main__':
    main()
