"""Where an epoch's time goes in a real run: training iterations, the
epoch's checkpoint, validation (with the best checkpoint) and the rest.

``train_speed.py`` times the training step alone; a k-fold run also
validates and saves checkpoints every epoch, which at 64 px is a large share
of the wall clock. This runs a config as configured (validation, checkpoint
hook) for a few epochs and splits each epoch's wall time with hooks:

    python tools/benchmark/epoch_time.py CONFIG [--epochs 6] [--amp] \
        [--cfg-options KEY=VALUE ...] [--append docs/benchmarks.md]

The first epoch (warm-up) is left out of the means.
"""
import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from typing import Dict, List

from mmengine.config import DictAction
from mmengine.hooks import Hook

from mmsde.utils.benchmark import append_report

PARTS = ('iterations', 'epoch checkpoint', 'validation', 'other')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--epochs', type=int, default=6)
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision as tools/train.py --amp')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--append', help='markdown file to add the table to')
    return parser.parse_args()


class EpochClock:
    """Two hooks, one run first and one run last at each point, that stamp
    the phases of every epoch."""

    def __init__(self):
        self.stamps: Dict[str, List[float]] = defaultdict(list)
        self.iteration_seconds: List[float] = []
        clock = self

        class First(Hook):
            priority = 'HIGHEST'

            def before_train_epoch(self, runner):
                clock.stamps['epoch'].append(time.perf_counter())
                clock.iteration_seconds.append(0.0)

            def before_train_iter(self, runner, batch_idx, data_batch=None):
                clock.stamps['iter'].append(time.perf_counter())

            def after_train_epoch(self, runner):
                clock.stamps['loop_end'].append(time.perf_counter())

            def before_val_epoch(self, runner):
                clock.stamps['val'].append(time.perf_counter())

        class Last(Hook):
            priority = 'LOWEST'

            def after_train_iter(self, runner, batch_idx, data_batch=None,
                                 outputs=None):
                clock.iteration_seconds[-1] += \
                    time.perf_counter() - clock.stamps['iter'][-1]

            def after_train_epoch(self, runner):
                clock.stamps['checkpoint_end'].append(time.perf_counter())

            def after_val_epoch(self, runner, metrics=None):
                clock.stamps['val_end'].append(time.perf_counter())

            def after_train(self, runner):
                clock.stamps['epoch'].append(time.perf_counter())

        self.hooks = (First(), Last())

    def epochs(self) -> List[Dict[str, float]]:
        """Per epoch, the seconds of each part of :data:`PARTS`."""
        s = self.stamps
        result = []
        for k in range(len(s['epoch']) - 1):
            wall = s['epoch'][k + 1] - s['epoch'][k]
            parts = {
                # the loop: the steps and the waits for data between them
                'iterations': s['loop_end'][k] - s['epoch'][k],
                'epoch checkpoint': s['checkpoint_end'][k] - s['loop_end'][k],
                'validation': (s['val_end'][k] - s['val'][k]
                               if k < len(s['val']) else 0.0),
            }
            parts['other'] = wall - sum(parts.values())
            result.append(dict(parts, wall=wall,
                               step=self.iteration_seconds[k]))
        return result


def main() -> None:
    args = parse_args()
    import torch

    from mmsde.apis import build_runner, load_config
    from mmsde.utils import register_all_modules
    register_all_modules()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(args.config, work_dir=tmp, amp=args.amp,
                          cfg_options=args.cfg_options)
        cfg.train_cfg.max_epochs = args.epochs
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)
        clock = EpochClock()
        runner = build_runner(cfg)
        for hook in clock.hooks:
            runner.register_hook(hook)
        runner.train()
        images = len(runner.train_dataloader.dataset)
    epochs = clock.epochs()[1:]
    mean = {key: statistics.mean(e[key] for e in epochs)
            for key in ('wall', 'step') + PARTS}
    lines = [f'config: {args.config}; {"--amp; " if args.amp else ""}'
             f'{torch.get_num_threads()} threads; {images} training samples '
             f'an epoch; mean of epochs 2-{args.epochs}', '',
             '| part | s per epoch | share |', '| --- | --- | --- |']
    for part in PARTS:
        lines.append(f'| {part} | {mean[part]:.2f} | '
                     f'{mean[part] / mean["wall"]:.0%} |')
    lines += [f'| whole epoch | {mean["wall"]:.2f} | 100% |', '',
              f'training steps alone: {mean["step"]:.2f} s an epoch; '
              f'{images / mean["wall"]:.1f} samples/s over whole epochs, '
              f'{images / mean["step"]:.1f} over the steps']
    text = '\n'.join(lines)
    print(text)
    if args.append:
        append_report(args.append, text)


if __name__ == '__main__':
    main()
