"""Speed of the default face detector (MTCNN) on CPU, photos per second.

Each photo is a scene of the requested size: scikit-image's coffee photo as
background with the astronaut's portrait (one face, 3/4 of the height)
pasted in the middle. Each row (photo size x batch size) runs in its own
process: the config's test pipeline from a decoded image (``ndarray``) and
``model.test_step``, ``--warmup`` untimed rounds, then the median of
``--rounds`` rounds of ``--photos`` photos. ``--profile`` adds the time of
each cascade stage. Prints photos/s, wall and CPU (all threads) ms/photo
and peak RSS; ``--append FILE`` adds the table with the command, machine
and date.

    python tools/benchmark/face_detection_speed.py \
        [--sizes 640x480 320x240] [--batch-sizes 1 4 8] [--threads 2] \
        [--rounds 5] [--photos 16] [--cfg-options model.min_face_size=40] \
        [--profile] [--append docs/benchmarks.md]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List

from mmengine.config import DictAction

from mmsde.utils.benchmark import append_report, face_photo, peak_memory
from mmsde.utils.face_tools import exit_unless_face_tools

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'face_detection',
                  'mtcnn_facenet-pytorch-weights.py')
STAGES = ('propose', 'refine', 'output')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--checkpoint', help='default: the converted '
                        'facenet-pytorch weights in the mmsde cache')
    parser.add_argument('--sizes', nargs='+', default=['640x480', '320x240'],
                        help='photo sizes, WIDTHxHEIGHT')
    parser.add_argument('--batch-sizes', nargs='+', type=int,
                        default=[1, 4, 8])
    parser.add_argument('--threads', type=int, default=2,
                        help='torch threads')
    parser.add_argument('--photos', type=int, default=16,
                        help='photos per timed round')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed rounds first')
    parser.add_argument('--omp-wait-policy', default='PASSIVE',
                        choices=['PASSIVE', 'ACTIVE', 'inherit'],
                        help='OMP_WAIT_POLICY of the measured processes: '
                        'PASSIVE (default) keeps idle OpenMP threads from '
                        'spinning, which costs several-fold when the cores '
                        'are shared with other jobs')
    parser.add_argument('--profile', action='store_true',
                        help='time each cascade stage too')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--append', help='markdown file to add the table to')
    parser.add_argument('--row', help=argparse.SUPPRESS)
    return parser.parse_args()


def _timed(module, name: str, totals: Dict[str, float]) -> None:
    """Wrap ``module.name`` to add its run time to ``totals[name]``."""
    func = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - \
                start

    setattr(module, name, wrapper)


def run_row(args: argparse.Namespace) -> dict:
    """Measure one photo size and batch size in this process."""
    import torch
    torch.set_num_threads(args.threads)
    from mmcv.transforms import Compose
    from mmdet.apis import init_detector
    from mmdet.utils import get_test_pipeline_cfg
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmsde  # noqa: F401  (safe checkpoint loading)
    from mmsde.models.converters.mtcnn import mtcnn_checkpoint_path
    from mmsde.models.detectors import mtcnn_cascade

    size, batch = args.row.split(':')
    width, height = (int(v) for v in size.split('x'))
    batch = int(batch)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    checkpoint = args.checkpoint or str(mtcnn_checkpoint_path())
    totals: Dict[str, float] = {}
    if args.profile:
        for name in STAGES:
            _timed(mtcnn_cascade, name, totals)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = init_detector(cfg, checkpoint, device='cpu')
        steps = get_test_pipeline_cfg(cfg.copy())
        steps[0].type = 'mmdet.LoadImageFromNDArray'
        pipeline = Compose(steps)
        photo = face_photo(width, height)
        faces = []

        cpu = []

        def one_round() -> float:
            start, cpu_start = time.perf_counter(), time.process_time()
            for first in range(0, args.photos, batch):
                n = min(batch, args.photos - first)
                packed = [pipeline(dict(img=photo, img_id=first + i))
                          for i in range(n)]
                data = dict(inputs=[p['inputs'] for p in packed],
                            data_samples=[p['data_samples'] for p in packed])
                with torch.inference_mode():
                    out = model.test_step(data)
                faces.append(len(out[0].pred_instances))
            cpu.append(time.process_time() - cpu_start)
            return time.perf_counter() - start

        for _ in range(args.warmup):
            one_round()
        totals.clear()
        cpu.clear()
        seconds = [one_round() for _ in range(args.rounds)]
    sec = statistics.median(seconds)
    stages = {k: 1000 * v / (args.rounds * args.photos)
              for k, v in totals.items()}
    return dict(size=size, batch=batch, photos_per_s=args.photos / sec,
                ms_per_photo=1000 * sec / args.photos,
                cpu_ms_per_photo=1000 * statistics.median(cpu) / args.photos,
                low=args.photos / max(seconds),
                high=args.photos / min(seconds),
                faces=statistics.mode(faces), stage_ms=stages,
                threads=torch.get_num_threads(), **peak_memory())


def measure(row: str, args: argparse.Namespace) -> dict:
    """Run one row in a fresh process and parse its result."""
    cmd = [sys.executable, __file__, '--row', row, '--config', args.config,
           '--threads', str(args.threads), '--photos', str(args.photos),
           '--rounds', str(args.rounds), '--warmup', str(args.warmup)]
    if args.checkpoint:
        cmd += ['--checkpoint', args.checkpoint]
    if args.profile:
        cmd.append('--profile')
    if args.cfg_options:
        cmd += ['--cfg-options'] + [
            f'{k}={v}' for k, v in args.cfg_options.items()]
    env = dict(os.environ)
    if args.omp_wait_policy != 'inherit':
        env['OMP_WAIT_POLICY'] = args.omp_wait_policy
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith('RESULT ')]
    if out.returncode or not line:
        sys.exit(f'{row} failed:\n{out.stderr[-3000:]}')
    return json.loads(line[0][7:])


def table(rows: List[dict], profile: bool) -> str:
    """The results as a markdown table."""
    head = ('| photo size | batch | photos/s | ms/photo | CPU ms/photo | '
            'faces found | peak RSS MB |')
    if profile:
        head += ' P-Net pyramid / R-Net / O-Net ms/photo |'
    lines = [head, '| --- ' * (8 if profile else 7) + '|']
    for r in rows:
        line = (f'| {r["size"]} | {r["batch"]} | {r["photos_per_s"]:.1f} '
                f'[{r["low"]:.1f}-{r["high"]:.1f}] | '
                f'{r["ms_per_photo"]:.1f} | {r["cpu_ms_per_photo"]:.1f} | '
                f'{r["faces"]} | '
                f'{r["peak_rss_mb"]:.0f} |')
        if profile:
            line += ' ' + ' / '.join(
                f'{r["stage_ms"].get(s, 0.0):.1f}' for s in STAGES) + ' |'
        lines.append(line)
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/benchmark/face_detection_speed.py')
    if args.row:
        print('RESULT ' + json.dumps(run_row(args)))
        return
    load_before = os.getloadavg()[0]
    rows = [measure(f'{size}:{batch}', args) for size in args.sizes
            for batch in args.batch_sizes]
    load = f'{load_before:.1f} before, {os.getloadavg()[0]:.1f} after'
    policy = (os.environ.get('OMP_WAIT_POLICY', 'unset')
              if args.omp_wait_policy == 'inherit' else args.omp_wait_policy)
    options = (' with ' + ', '.join(f'{k}={v}'
                                    for k, v in args.cfg_options.items())
               if args.cfg_options else '')
    text = (f'`{osp.relpath(args.config, REPO)}`{options}, from a decoded '
            f'photo (test pipeline + `test_step`), {args.threads} torch '
            f'threads, OMP_WAIT_POLICY={policy}, load average {load}; '
            f'{args.warmup} untimed round(s), then the median of '
            f'{args.rounds} rounds of {args.photos} photos (range in '
            'brackets). Photos: scikit-image coffee with the astronaut '
            f'pasted in (one face).\n\n{table(rows, args.profile)}')
    print(text)
    if args.append:
        import torch
        torch.set_num_threads(args.threads)  # as in the measured processes
        append_report(args.append, text)


if __name__ == '__main__':
    main()
