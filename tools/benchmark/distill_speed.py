"""Step time of knowledge distillation: online teacher, cached teacher and
the student alone, measured in one process on the same batches.

Builds the distillation config's model (the teacher with random weights
unless ``--teacher-ckpt`` is given: timing does not depend on the values),
and a plain ``ImageClassifier`` with the student's backbone, neck and head.
Each variant runs ``train_step`` (forward, backward, Adam step) on random
``[non_masked, masked]`` batches at the config's image size; the variants
take turns for ``--rounds`` rounds so that machine noise hits all alike.
Prints seconds per step, images per second and the ratios to the student.

    python tools/benchmark/distill_speed.py [CONFIG] [--steps 10] [--rounds 3]
        [--amp]

``--amp`` steps in bfloat16 autocast (``BF16OptimWrapper``, the teacher's
forward pass included) with channels-last weights, as ``tools/train.py
--amp`` trains on a CPU.
"""
import argparse
import os.path as osp
import resource
import statistics
import tempfile
import time
from typing import Callable, Dict, List

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmsde.engine import BF16OptimWrapper
from mmsde.engine.hooks.teacher_cache_hook import compute_teacher_outputs
from mmsde.utils import register_all_modules

DEFAULT_CONFIG = ('configs/distillation/'
                  'featkd_resnet18_1xb32-adam-24e_synthetic-msde.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--teacher-ckpt',
                        help='default: the teacher with random weights')
    parser.add_argument('--steps', type=int, default=10,
                        help='timed steps per variant and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--batch-size', type=int,
                        help='default: the config\'s training batch size')
    parser.add_argument('--amp', action='store_true',
                        help='bfloat16 autocast and channels-last weights')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    return parser.parse_args()


def build_models(cfg: Config, teacher_ckpt: str, device: str) -> tuple:
    """The distiller and a plain ImageClassifier of the same student."""
    cfg.model.teacher_ckpt = teacher_ckpt
    distiller = MODELS.build(cfg.model)
    distiller.init_weights()
    student_cfg = {
        key: cfg.model[key]
        for key in ('backbone', 'neck', 'head', 'data_preprocessor')
        if cfg.model.get(key) is not None
    }
    student = MODELS.build(dict(type='ImageClassifier', **student_cfg))
    student.init_weights()
    return distiller.to(device), student.to(device)


def random_teacher_checkpoint(cfg: Config, folder: str) -> str:
    """Save a teacher with random weights into ``folder``; timing does not
    depend on them."""
    from mmsde.models.classifiers.distiller import build_teacher
    path = osp.join(folder, 'random_teacher.pth')
    torch.save(dict(state_dict=build_teacher(cfg.model.teacher_cfg)
                    .state_dict()), path)
    return path


def make_batches(num: int, batch: int, size: int) -> List[dict]:
    """Random uint8 pairs with labels and pair ids, collated."""
    batches = []
    for b in range(num):
        samples = []
        for i in range(batch):
            meta = dict(pair_id=f'{b}_{i}')
            samples.append(dict(
                inputs=[torch.randint(0, 256, (3, size, size),
                                      dtype=torch.uint8) for _ in range(2)],
                data_samples=DataSample(metainfo=meta).set_gt_label(i % 7)))
        batches.append(pseudo_collate(samples))
    return batches


def single_view(data: dict) -> dict:
    """The non-masked half of a paired batch, for the student alone."""
    return dict(inputs=data['inputs'][0], data_samples=data['data_samples'])


def timed(step: Callable[[dict], None], batches: List[dict],
          device: str) -> float:
    """Seconds per step over ``batches``."""
    def sync():
        if device.startswith('cuda'):
            torch.cuda.synchronize()
    sync()
    start = time.perf_counter()
    for data in batches:
        step(data)
    sync()
    return (time.perf_counter() - start) / len(batches)


def main() -> None:
    args = parse_args()
    # keep the per-parameter initialisation report out of the table
    MMLogger.get_instance('distill_speed', log_level='WARNING')
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(args.config)
    # speed does not depend on the weights: random ones, so no cached
    # face-pretrained backbone is needed
    cfg.model.backbone.pop('init_cfg', None)
    batch = args.batch_size or cfg.train_dataloader.batch_size
    size = cfg.get('img_size', 224)
    with tempfile.TemporaryDirectory() as tmp:
        teacher_ckpt = (args.teacher_ckpt
                        or random_teacher_checkpoint(cfg, tmp))
        distiller, student = build_models(cfg, teacher_ckpt, args.device)
    batches = make_batches(args.steps, batch, size)
    cache = compute_teacher_outputs(
        distiller, [single_view(data) for data in batches],
        batch * len(batches))
    wrapper = BF16OptimWrapper if args.amp else OptimWrapper
    if args.amp:
        distiller.to(memory_format=torch.channels_last)
        student.to(memory_format=torch.channels_last)
    optims = {
        name: wrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
        for name, model in (('distiller', distiller), ('student', student))
    }

    def online(data):
        distiller.set_teacher_cache(None)
        distiller.train_step(data, optims['distiller'])

    def cached(data):
        distiller.set_teacher_cache(cache)
        distiller.train_step(data, optims['distiller'])

    def alone(data):
        student.train_step(single_view(data), optims['student'])

    variants = {'student alone (ImageClassifier)': alone,
                'distillation, online teacher': online,
                'distillation, cached teacher': cached}
    distiller.train(), student.train()
    for step in variants.values():  # warm-up
        step(batches[0])
    seconds: Dict[str, List[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, step in variants.items():
            seconds[name].append(timed(step, batches, args.device))

    base = statistics.median(seconds['student alone (ImageClassifier)'])
    print(f'config: {args.config}; device {args.device}, '
          f'{torch.get_num_threads()} threads; '
          f'{optims["student"].__class__.__name__}; batch {batch} pairs of '
          f'{size}x{size}; {args.rounds} rounds x {args.steps} steps, '
          'median per variant')
    print('| variant | s/step | img/s (student) | ratio to student alone |')
    print('| --- | --- | --- | --- |')
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f'| {name} | {median:.3f} | {batch / median:.1f} | '
              f'{median / base:.2f} |')
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak RSS of the process: {peak:.0f} MB')
    if args.device.startswith('cuda'):
        print(f'peak GPU memory: '
              f'{torch.cuda.max_memory_allocated() / 2**20:.0f} MB')


if __name__ == '__main__':
    main()
