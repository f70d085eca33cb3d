"""Dataset build and k-fold summary at scale, no training: time and peak
memory for generated annotation files of growing size, to show both grow
linearly with the number of images.

For each size N, a CSV annotation of N images (N / 14 subjects, 7
expressions, a non-masked and a masked image each) is written over hard
links to one small PNG, then, in a fresh process each (so its peak memory is
its own): ``MaskedFERDataset`` builds the train, val and test splits of
fold 0 of 10 (parsing, fold assignment, every image opened and verified),
and ``kfold.summarize`` + ``paired_comparison`` run on 10 folds' results
of 20 methods. Prints one row per size and the per-image cost.

    python tools/benchmark/dataset_scale.py [--sizes 10000 30000 100000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r'''
import json, resource, sys, time
from mmsde.datasets import MaskedFERDataset
root, ann = sys.argv[1], sys.argv[2]
start = time.perf_counter()
sizes = {}
for split in ('train', 'val', 'test'):
    ds = MaskedFERDataset(root, ann, split=split, fold=0, num_folds=10,
                          val_ratio=0.1)
    sizes[split] = len(ds)
build = time.perf_counter() - start
from mmsde.apis.kfold import paired_comparison, summarize
records = {m: [dict(fold=k, metrics={'overall/accuracy': 50.0 + k * m % 7})
               for k in range(10)] for m in range(20)}
start = time.perf_counter()
for m in range(20):
    summarize(records[m], ['overall/accuracy'])
    paired_comparison(records[m], records[0], ['overall/accuracy'])
summary = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(build=build, summary=summary, peak_mb=peak, **sizes)))
'''


def write_set(root: str, num_images: int) -> str:
    """CSV annotation of ``num_images`` hard-linked PNGs under ``root``."""
    from PIL import Image
    os.makedirs(os.path.join(root, 'img'), exist_ok=True)
    rows = ['img_path,gt_label,masked,subject,pair_id']
    for i in range(num_images // 2):
        subject, label = i // 7, i % 7
        if i % 20000 == 0:  # a new source: file systems cap links per file
            source = os.path.join(root, f'source{i}.png')
            Image.new('RGB', (8, 8), (90, 90, 90)).save(source)
        for masked in (0, 1):
            name = f'img/{i}_{masked}.png'
            os.link(source, os.path.join(root, name))
            rows.append(f'{name},{label},{masked},s{subject},p{i}')
    with open(os.path.join(root, 'ann.csv'), 'w') as f:
        f.write('\n'.join(rows) + '\n')
    return 'ann.csv'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[10000, 30000, 100000])
    args = parser.parse_args()
    print(f'{"images":>8s} {"build s":>8s} {"ms/1k img":>9s} '
          f'{"summary s":>9s} {"peak MB":>8s} {"train/val/test":>18s}')
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as root:
            start = time.perf_counter()
            ann = write_set(root, size)
            written = time.perf_counter() - start
            out = subprocess.run([sys.executable, '-c', CHILD, root, ann],
                                 capture_output=True, text=True, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
        splits = f'{res["train"]}/{res["val"]}/{res["test"]}'
        print(f'{size:8d} {res["build"]:8.2f} '
              f'{1000 * res["build"] / size * 1000:9.1f} '
              f'{res["summary"]:9.3f} {res["peak_mb"]:8.0f} {splits:>18s}'
              f'  (files written in {written:.1f} s)')


if __name__ == '__main__':
    main()
