"""How hard each loss term pulls on the backbone: per-term values and
gradient norms of a config's model on a few training batches.

A joint objective (cross-entropy + SupCon, + paired MSE, + distillation) is
steered by the term with the largest gradient; when one term's gradient is
many times the cross-entropy's, the classifier learns little until that term
is satisfied. Use it to choose loss weights and temperatures before a run.

    python tools/analysis/loss_gradients.py CONFIG --batches 4 \\
        [--cfg-options model.contrast_loss.loss_weight=0.1 ...]
"""
import argparse
from collections import defaultdict
from typing import Dict, Iterable

import torch
from mmengine.config import DictAction

from mmsde.apis import load_config
from mmsde.apis.model import build_model, build_split_loader


def loss_gradient_norms(model: torch.nn.Module, batches: Iterable,
                        prefix: str = 'backbone.') -> Dict[str, dict]:
    """Mean value and mean gradient L2 norm (over the parameters whose name
    starts with ``prefix``) of every ``loss*`` term, over ``batches``."""
    params = [p for n, p in model.named_parameters()
              if n.startswith(prefix) and p.requires_grad]
    if not params:
        raise ValueError(f'no trainable parameters named {prefix}*')
    sums = defaultdict(lambda: dict(value=0., grad_norm=0.))
    count = 0
    model.train()
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        for key, loss in losses.items():
            if not key.startswith('loss') or not loss.requires_grad:
                continue
            grads = torch.autograd.grad(loss, params, retain_graph=True,
                                        allow_unused=True)
            norm = torch.sqrt(sum((g.float()**2).sum() for g in grads
                                  if g is not None))
            sums[key]['value'] += float(loss)
            sums[key]['grad_norm'] += float(norm)
        count += 1
    return {k: {s: v / count for s, v in stats.items()}
            for k, stats in sums.items()}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--batches', type=int, default=4)
    parser.add_argument('--prefix', default='backbone.',
                        help='parameters whose gradient is measured')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    torch.manual_seed(args.seed)
    model = build_model(cfg)
    model.init_weights()
    loader = build_split_loader(cfg, 'train', seed=args.seed)
    batches = (b for _, b in zip(range(args.batches), loader))
    stats = loss_gradient_norms(model, batches, args.prefix)
    reference = stats.get('loss_cls') or next(iter(stats.values()))
    print(f'{"term":24s} {"value":>9s} {"|grad| " + args.prefix:>20s} '
          f'{"ratio to CE":>12s}')
    for key, s in stats.items():
        ratio = s['grad_norm'] / max(reference['grad_norm'], 1e-12)
        print(f'{key:24s} {s["value"]:9.4f} {s["grad_norm"]:20.4f} '
              f'{ratio:12.2f}')


if __name__ == '__main__':
    main()
