"""SupCon's value on a model's training batches next to two references: the
uniform value ln(|A|) (every similarity equal) and the value of the same
projections with the labels shuffled (the positives unrelated to the label).

At a low temperature the uniform value is not what chance gives: when the
similarities spread (a face and its masked twin, faces of one person), the
log-sum-exp in the denominator grows and the loss of positives drawn at
random ends above ln(|A|). The label-shuffled value is that chance level for
the projections at hand; the gap below it is what the labels add.

    python tools/analysis/supcon_reference.py CONFIG [CHECKPOINT] --fold 0 \\
        [--batches 32] [--shuffles 5] [--cfg-options ...]

Without CHECKPOINT it measures the config's start (its init_cfg).

The model runs in training mode (batch statistics, as in training) without
gradient; the loss's cross-batch memory, if configured, is filled from the
batches as they pass, as in training, before the first measured batch.
Values are in nats (the loss weight and the factor T / T_base divided
out).
"""
import argparse
import math
from typing import Dict, Iterable

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.runner import load_checkpoint

from mmsde.apis import load_config
from mmsde.apis.kfold import fold_options
from mmsde.apis.model import build_model, build_split_loader
from mmsde.models.classifiers.utils import split_views

MEMORY = ('memory', 'memory_labels', 'memory_views')


def supcon_references(model: torch.nn.Module, batches: Iterable,
                      num_batches: int, shuffles: int = 5,
                      seed: int = 0) -> Dict[str, float]:
    """Mean SupCon in nats over ``num_batches`` of ``batches``: ``true``
    (the labels), ``shuffled`` (the labels permuted over the contrast set,
    ``shuffles`` draws a batch) and ``uniform`` (ln of the number of views
    an anchor is contrasted with). Twins stay positives in the shuffled
    value, so the gap to it is what the labels add beyond the twins.

    A cross-batch memory is filled first: batches pass without being
    measured until it is full, so every measured batch meets the contrast
    set of training.
    """
    loss_fn = model.contrast_loss
    # in nats: the loss weight and T / T_base divided out
    weight = loss_fn.loss_weight * (loss_fn.temperature /
                                    loss_fn.base_temperature)
    generator = torch.Generator().manual_seed(seed)
    values = dict(true=[], shuffled=[], uniform=[])
    model.train()
    with torch.no_grad():
        for batch in batches:
            if len(values['true']) == num_batches:
                break
            data = model.data_preprocessor(batch, True)
            views = split_views(data['inputs'], type(model).__name__)
            feats = model.extract_feat(torch.cat(views))
            z = model.project(feats).view(len(views), views[0].size(0),
                                          -1).transpose(0, 1)
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            memory = {k: getattr(loss_fn, k).clone() for k in MEMORY}
            # this call puts the batch in the memory, as in training
            true = float(loss_fn(z, labels)) / weight
            if memory['memory'].size(0) < loss_fn.memory_size:
                continue  # still filling the memory
            values['true'].append(true)
            updated = {k: getattr(loss_fn, k) for k in MEMORY}
            shuffled = []
            for _ in range(shuffles):
                # permute the batch's and the memory's labels together (a
                # sample's views keep one label: twins stay positives)
                pool = torch.cat([labels, memory['memory_labels']])
                pool = pool[torch.randperm(len(pool), generator=generator)]
                for key, value in memory.items():
                    setattr(loss_fn, key, value.clone())
                loss_fn.memory_labels = pool[len(labels):]
                shuffled.append(float(loss_fn(z, pool[:len(labels)])))
            for key, value in updated.items():  # the memory of training
                setattr(loss_fn, key, value)
            values['shuffled'].append(np.mean(shuffled) / weight)
            contrast = z.size(0) * z.size(1) + memory['memory'].size(0)
            values['uniform'].append(math.log(contrast - 1))
    if not values['true']:
        raise ValueError('no batch measured: too few batches to fill the '
                         f'memory of {loss_fn.memory_size} views')
    return {k: float(np.mean(v)) for k, v in values.items()}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?',
                        help='a trained model; without it, the config\'s '
                        'start (its init_cfg)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--fold', type=int, default=0)
    parser.add_argument('--num-folds', type=int, default=10)
    parser.add_argument('--batches', type=int, default=32)
    parser.add_argument('--shuffles', type=int, default=5)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    cfg.merge_from_dict(fold_options(cfg, args.fold, args.num_folds))
    torch.manual_seed(args.seed)
    model = build_model(cfg, init_cfg=not args.checkpoint)
    if not hasattr(model, 'contrast_loss'):
        raise SystemExit(f'{args.config}: the model has no contrast_loss')
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu',
                        strict=False)
    else:  # the config's start (e.g. the face-pretrained backbone)
        model.init_weights()
    loader = build_split_loader(cfg, 'train', seed=args.seed)
    batches = (b for _ in iter(int, 1) for b in loader)  # epoch after epoch
    stats = supcon_references(model, batches, args.batches, args.shuffles,
                              args.seed)
    print(f'SupCon in nats over {args.batches} training batches of fold '
          f'{args.fold}:')
    for key in ('true', 'shuffled', 'uniform'):
        print(f'  {key:9s} {stats[key]:.3f}')
    print(f'  true - shuffled {stats["true"] - stats["shuffled"]:+.3f}, '
          f'true - uniform {stats["true"] - stats["uniform"]:+.3f}')


if __name__ == '__main__':
    main()
