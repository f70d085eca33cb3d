"""Training speed of an mmsde config against plain MMPretrain.

Runs the config's training loop for a fixed number of iterations twice, in
separate processes: once as is (mmsde's dataset with its checks and the FER
fields), once with the training set replaced by MMPretrain's stock
``CustomDataset`` over the very same images, labels and pipeline. Prints
img/s, seconds per iteration, peak memory and the ratio.

    python tools/benchmark/train_speed.py CONFIG [--iters 30] [--warmup 5]
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--variant', choices=['mmsde', 'mmpretrain'],
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def stock_dataset(dataset_cfg: dict, pipeline: list, tmp: str) -> dict:
    """A ``CustomDataset`` config over the images ``dataset_cfg`` selects."""
    from mmpretrain.registry import DATASETS
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=[], lazy_init=False))
    ann_file = osp.join(tmp, 'train.txt')
    with open(ann_file, 'w') as f:
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            f.write(f'{info["img_path"]} {info["gt_label"]}\n')
    stock_pipeline = [dict(t) for t in pipeline]
    stock_pipeline[-1] = dict(type='PackInputs')
    return dict(type='CustomDataset', data_root='', ann_file=ann_file,
                with_label=True, pipeline=stock_pipeline)


def run_variant(args: argparse.Namespace) -> dict:
    """Train ``args.iters`` iterations; return timing and memory."""
    from mmengine.hooks import Hook

    from mmsde.apis import build_runner, load_config

    tmp = tempfile.mkdtemp()
    cfg = load_config(args.config, work_dir=tmp, cfg_options=args.cfg_options)
    if args.variant == 'mmpretrain':
        cfg.train_dataloader.dataset = stock_dataset(
            cfg.train_dataloader.dataset, cfg.train_dataloader.dataset.pipeline,
            tmp)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters)
    cfg.param_scheduler = []
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)

    stamps = []

    class Stamp(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            stamps.append(time.perf_counter())

    runner = build_runner(cfg)
    runner.register_hook(Stamp(), priority='LOWEST')
    runner.train()
    timed = args.iters - args.warmup
    seconds = stamps[-1] - stamps[args.warmup - 1]
    batch = cfg.train_dataloader.batch_size
    return dict(
        variant=args.variant,
        sec_per_iter=seconds / timed,
        img_per_s=timed * batch / seconds,
        batch_size=batch,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    args = parse_args()
    if args.variant:
        print('RESULT ' + json.dumps(run_variant(args)))
        return
    results = {}
    for variant in ('mmpretrain', 'mmsde'):
        cmd = [sys.executable, __file__, args.config, '--iters',
               str(args.iters), '--warmup', str(args.warmup), '--variant',
               variant]
        if args.cfg_options:
            cmd += ['--cfg-options'] + [f'{k}={v}' for k, v in
                                        args.cfg_options.items()]
        out = subprocess.run(cmd, capture_output=True, text=True,
                             env=dict(os.environ))
        line = [ln for ln in out.stdout.splitlines()
                if ln.startswith('RESULT ')]
        if out.returncode or not line:
            sys.exit(f'{variant} run failed:\n{out.stderr[-3000:]}')
        results[variant] = json.loads(line[0][7:])
    base = results['mmpretrain']
    print(f'config: {args.config}, {args.iters} iterations '
          f'({args.warmup} warm-up), batch {base["batch_size"]}')
    print('| training set | img/s | s/iter | peak RSS (MB) | img/s ratio |')
    print('| --- | --- | --- | --- | --- |')
    names = dict(mmpretrain='MMPretrain CustomDataset',
                 mmsde='mmsde MSDE (checks + FER fields)')
    for variant, r in results.items():
        print(f'| {names[variant]} | {r["img_per_s"]:.1f} | '
              f'{r["sec_per_iter"]:.3f} | {r["peak_rss_mb"]:.0f} | '
              f'{r["img_per_s"] / base["img_per_s"]:.2f} |')


if __name__ == '__main__':
    main()
