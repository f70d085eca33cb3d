"""Training speed of configs: mmsde's runner, stock MMPretrain, a bare loop.

For each config and each variant, in a separate process:

- ``mmsde``: the config's training loop through MMEngine's runner;
- ``mmpretrain``: the same, with the training set replaced by MMPretrain's
  stock ``CustomDataset`` over the very same images, labels and pipeline;
- ``bare``: no framework: torchvision's ResNet-18, the config's batch size,
  optimiser and learning rate, the training images decoded once into one
  tensor, a random horizontal flip on the batch tensor;
- ``bare-compile``: the bare loop with the model through ``torch.compile``
  (the first, compiling iterations fall in ``--warmup``);
- ``data``: the config's training dataloader alone (no model), to see what
  the pipeline can feed, per worker.

Each variant runs in every ``--precisions`` (``fp32``, ``bf16``: bfloat16
autocast, ``-cl``: channels-last memory; the runner's as ``--amp`` sets
them), ``--threads`` (torch's intra-op threads of the training process)
and ``--img-sizes`` (every Resize of the config; default its own).

Prints samples/s, seconds per iteration split into waiting for data and
computing, peak memory, and ratios to the bare loop and to float32 (same
variant, size and threads); ``--append FILE`` adds the table with the
command, machine and date.

    python tools/benchmark/train_speed.py CONFIG [CONFIG ...] \
        [--variants mmsde mmpretrain bare bare-compile data] \
        [--precisions fp32 fp32-cl bf16 bf16-cl] [--threads 1 2] \
        [--img-sizes 64 112] [--epochs 2] [--iters 30] [--warmup 5] \
        [--cfg-options KEY=VALUE ...] [--append docs/benchmarks.md]
"""
import argparse
import itertools
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

from mmengine.config import DictAction

from mmsde.utils.benchmark import append_report, peak_memory

NAMES = {'mmsde': 'mmsde runner', 'mmpretrain': 'MMPretrain CustomDataset',
         'bare': 'bare PyTorch loop',
         'bare-compile': 'bare loop, torch.compile',
         'data': 'dataloader alone'}
VARIANTS = tuple(NAMES)
PRECISIONS = ('fp32', 'fp32-cl', 'bf16', 'bf16-cl')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--variants', nargs='+', choices=VARIANTS,
                        default=['bare', 'mmpretrain', 'mmsde'])
    parser.add_argument('--precisions', nargs='+', choices=PRECISIONS,
                        default=['fp32'], help='-cl: channels-last memory')
    parser.add_argument('--threads', type=int, nargs='+', default=[0],
                        help='torch threads of the training process (0: '
                        "torch's default)")
    parser.add_argument('--img-sizes', type=int, nargs='+', default=[0],
                        help='input sizes (0: the config\'s own)')
    parser.add_argument('--epochs', type=int, default=2,
                        help='epochs of the runner variants (their own '
                        'EpochBasedTrainLoop, no validation)')
    parser.add_argument('--iters', type=int, default=30,
                        help='iterations of the bare and data variants')
    parser.add_argument('--warmup', type=int, default=5,
                        help='first iterations left out of the timing')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='applied to every config (not the bare loop '
                        'beyond batch size, optimiser and image size)')
    parser.add_argument('--rounds', type=int, default=1,
                        help='repeat all runs, interleaved, and report the '
                        'median (this machine varies by about 10%% between '
                        'runs)')
    parser.add_argument('--append', help='markdown file to add the table to')
    parser.add_argument('--variant', choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help=argparse.SUPPRESS)
    parser.add_argument('--img-size', type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def timing(starts: List[float], ends: List[float], warmup: int,
           samples: int) -> dict:
    """Per-iteration data wait and compute from before/after stamps."""
    waits = [starts[i] - ends[i - 1] for i in range(warmup, len(ends))]
    computes = [ends[i] - starts[i] for i in range(warmup, len(ends))]
    seconds = ends[-1] - ends[warmup - 1]
    iters = len(ends) - warmup
    return dict(sec_per_iter=seconds / iters,
                samples_per_s=iters * samples / seconds,
                data_sec=statistics.mean(waits),
                compute_sec=statistics.mean(computes))


def stock_dataset(dataset_cfg: dict, tmp: str) -> dict:
    """A ``CustomDataset`` config over the images ``dataset_cfg`` selects."""
    from mmpretrain.registry import DATASETS
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=[],
                                  cache_images=False))
    ann_file = osp.join(tmp, 'train.txt')
    with open(ann_file, 'w') as f:
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            f.write(f'{info["img_path"]} {info["gt_label"]}\n')
    pipeline = [dict(t) for t in dataset_cfg.pipeline]
    pipeline[-1] = dict(type='PackInputs')
    return dict(type='CustomDataset', data_root='', ann_file=ann_file,
                with_label=True, pipeline=pipeline)


def run_runner(cfg, args: argparse.Namespace) -> dict:
    """``args.epochs`` epochs of the config's training loop.

    MMEngine's ``IterBasedTrainLoop`` sleeps 2 s at every epoch boundary,
    so the epoch-based loop that the configs train with is timed.
    """
    from mmengine.hooks import Hook

    from mmsde.apis import build_runner

    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=args.epochs,
                         val_interval=10**6)
    cfg.param_scheduler = []
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h.get('type') != 'EMAHook']
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)
    starts, ends = [], []

    class Stamp(Hook):

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            starts.append(time.perf_counter())

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            ends.append(time.perf_counter())

    runner = build_runner(cfg)
    runner.register_hook(Stamp(), priority='LOWEST')
    runner.train()
    batch = cfg.train_dataloader.batch_size
    return dict(timing(starts, ends, args.warmup, batch), batch_size=batch)


def run_data(cfg, args: argparse.Namespace) -> dict:
    """The training dataloader alone: how fast the pipeline feeds."""
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(cfg.train_dataloader,
                                     seed=0, diff_rank_seed=False)
    batches = iter(loader)
    ends = []
    for _ in range(args.iters):
        try:
            next(batches)
        except StopIteration:
            batches = iter(loader)
            next(batches)
        ends.append(time.perf_counter())
    batch = cfg.train_dataloader.batch_size
    result = timing(ends, ends, args.warmup, batch)
    workers = max(1, cfg.train_dataloader.get('num_workers', 0))
    return dict(result, batch_size=batch, data_sec=result['sec_per_iter'],
                compute_sec=0.0, per_worker=result['samples_per_s'] / workers)


def run_bare(cfg, args: argparse.Namespace) -> dict:
    """A framework-free ResNet-18 loop on images decoded once (compiled,
    in channels-last memory, under bfloat16 autocast as asked)."""
    import cv2
    import numpy as np
    import torch
    import torchvision
    from mmpretrain.registry import DATASETS

    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=[],
                                  cache_images=False))
    size = int(cfg.get('img_size', 224))
    images, labels = [], []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        paths = info['img_path']
        for path in ([paths] if isinstance(paths, str) else paths):
            img = cv2.resize(cv2.imread(path), (size, size),
                             interpolation=cv2.INTER_LINEAR)
            images.append(img[..., ::-1].transpose(2, 0, 1))
            labels.append(info['gt_label'])
    images = torch.from_numpy(np.ascontiguousarray(np.stack(images)))
    labels = torch.tensor(labels)
    batch = cfg.train_dataloader.batch_size
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    model = torchvision.models.resnet18(num_classes=7)
    memory = torch.channels_last if args.precision.endswith('-cl') \
        else torch.contiguous_format
    bf16 = args.precision.startswith('bf16')
    model = model.to(memory_format=memory)
    opt_cfg = dict(cfg.optim_wrapper.optimizer)
    opt_type = getattr(torch.optim, opt_cfg.pop('type'))
    optimizer = opt_type(model.parameters(), **opt_cfg)
    criterion = torch.nn.CrossEntropyLoss()
    model.train()
    if args.variant == 'bare-compile':
        model = torch.compile(model)
    generator = torch.Generator().manual_seed(0)
    starts, ends = [], []
    for _ in range(args.iters):
        idx = torch.randint(len(images), (batch, ), generator=generator)
        x = images[idx]
        flip = torch.rand(batch, generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        x = ((x.float() - mean) / std).contiguous(memory_format=memory)
        y = labels[idx]
        starts.append(time.perf_counter())
        optimizer.zero_grad()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        ends.append(time.perf_counter())
    return dict(timing(starts, ends, args.warmup, batch), batch_size=batch)


def run_variant(config: str, args: argparse.Namespace) -> dict:
    """Measure one variant of one config in this process."""
    from mmsde.apis import load_config
    from mmsde.apis.runner import input_size_options, set_precision
    from mmsde.utils import register_all_modules
    register_all_modules()
    runners = {'mmsde': run_runner, 'mmpretrain': run_runner,
               'bare': run_bare, 'bare-compile': run_bare, 'data': run_data}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(config, work_dir=tmp, cfg_options=args.cfg_options)
        if args.img_size:
            options = input_size_options(cfg, args.img_size)
            if not options:
                raise SystemExit(f'{config}: no Resize step in its pipelines '
                                 'to set the input size with')
            cfg.merge_from_dict(options)
            cfg.img_size = args.img_size
        set_precision(cfg, bf16=args.precision.startswith('bf16'),
                      channels_last=args.precision.endswith('-cl'))
        if args.variant == 'mmpretrain':
            cfg.train_dataloader.dataset = stock_dataset(
                cfg.train_dataloader.dataset, tmp)
        result = runners[args.variant](cfg, args)
    import torch
    return dict(result, **peak_memory(), threads=torch.get_num_threads(),
                workers=cfg.train_dataloader.get('num_workers', 0),
                img_size=int(cfg.get('img_size', 0)))


def measure(config: str, setting: tuple, args: argparse.Namespace) -> dict:
    """Run one ``(variant, precision, threads, img_size)`` of a config in a
    fresh process and parse its result."""
    variant, precision, threads, size = setting
    cmd = [sys.executable, __file__, config, '--variant', variant,
           '--precision', precision, '--img-size', str(size),
           '--iters', str(args.iters), '--warmup', str(args.warmup),
           '--epochs', str(args.epochs)]
    if args.cfg_options:
        cmd += ['--cfg-options'] + [
            f'{k}={v}' for k, v in args.cfg_options.items()]
    env = dict(os.environ)
    if threads:  # torch reads it at import, before any pool starts
        env['OMP_NUM_THREADS'] = str(threads)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith('RESULT ')]
    if out.returncode or not line:
        sys.exit(f'{config} / {setting} failed:\n{out.stderr[-3000:]}')
    return json.loads(line[0][7:])


def median_run(results: List[dict]) -> dict:
    """The run with the median samples/s, with the range of all runs."""
    ordered = sorted(results, key=lambda r: r['samples_per_s'])
    return dict(ordered[(len(ordered) - 1) // 2],
                low=ordered[0]['samples_per_s'],
                high=ordered[-1]['samples_per_s'])


def seconds(value: float) -> str:
    """Seconds to 3 decimals, or to 6 when shorter than a millisecond (a
    tiny batch from the dataloader alone), so no time prints as 0.000."""
    return f'{value:.3f}' if value >= 1e-3 else f'{value:.6f}'


def table(rows: List[Dict]) -> str:
    """The results as a markdown table."""

    def find(row: dict, **change) -> dict:
        key = dict(row, **change)
        return next((r for r in rows if all(
            r[k] == key[k] for k in ('config', 'img_size', 'threads',
                                     'variant', 'precision'))), None)

    def ratio(row: dict, ref: dict) -> str:
        return (f'{row["samples_per_s"] / ref["samples_per_s"]:.2f}'
                if ref else 'n/a')

    lines = [
        '| config | px | threads | variant | precision | samples/s | s/iter '
        '| data wait s/iter | compute s/iter | peak RSS MB (main / worker) | '
        'vs bare loop | vs fp32 |', '| --- ' * 12 + '|'
    ]
    for r in rows:
        name = NAMES[r['variant']]
        if r['variant'] == 'data':
            name += f' ({r["workers"]} workers, ' \
                    f'{r["per_worker"]:.0f}/s per worker)'
        lines.append(
            f'| {osp.basename(r["config"])} | {r["img_size"]} | '
            f'{r["threads"]} | {name} | {r["precision"]} | '
            f'{r["samples_per_s"]:.1f} [{r["low"]:.1f}-{r["high"]:.1f}] | '
            f'{seconds(r["sec_per_iter"])} | '
            f'{seconds(r["data_sec"])} | {seconds(r["compute_sec"])} | '
            f'{r["peak_rss_mb"]:.0f} / {r["peak_child_rss_mb"]:.0f} | '
            f'{ratio(r, find(r, variant="bare"))} | '
            f'{ratio(r, find(r, precision="fp32"))} |')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    if args.variant:
        result = run_variant(args.configs[0], args)
        print('RESULT ' + json.dumps(dict(result, precision=args.precision)))
        return
    settings = list(itertools.product(args.img_sizes, args.threads,
                                      args.variants, args.precisions))
    runs: Dict[tuple, List[dict]] = {}
    for _ in range(args.rounds):
        for config in args.configs:
            for size, threads, variant, precision in settings:
                runs.setdefault((config, size, threads, variant, precision),
                                []).append(measure(
                                    config, (variant, precision, threads,
                                             size), args))
    rows = [dict(median_run(results), config=key[0], variant=key[3])
            for key, results in runs.items()]
    text = (f'Runner variants: {args.epochs} epochs; bare loop and '
            f'dataloader: {args.iters} iterations; the first {args.warmup} '
            f'iterations untimed; median of {args.rounds} interleaved '
            'round(s), samples/s range in brackets. Samples are pairs for '
            f'paired configs.\n\n{table(rows)}')
    print(text)
    if args.append:
        append_report(args.append, text)


if __name__ == '__main__':
    main()
