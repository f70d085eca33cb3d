"""Run by ``torch.distributed.run`` from test_supcon_loss_dist.py: each rank
computes SupConLoss on its slice of a fixed global batch and saves the loss
and the gradient with respect to its features."""
import sys

import torch
import torch.distributed as dist

import mmsde.models  # noqa: F401
from mmsde.models.losses import SupConLoss


def global_batch():
    """The batch that the single-process reference also sees."""
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(8, 2, 6, generator=generator, dtype=torch.float64)
    # label 3 and 4 have one sample each; rank 1 holds more of them, so the
    # ranks have different numbers of anchors with positives
    labels = torch.tensor([0, 1, 0, 2, 1, 3, 2, 4])
    return features, labels


CASES = {
    'labels_all': dict(contrast_mode='all', use_labels=True),
    'labels_one': dict(contrast_mode='one', use_labels=True),
    'simclr': dict(contrast_mode='all', use_labels=False),
    # cross-batch memory filled by an earlier global batch (12 of its views)
    'labels_memory': dict(contrast_mode='all', use_labels=True,
                          memory_size=12),
    'simclr_memory': dict(contrast_mode='all', use_labels=False,
                          memory_size=12),
    # the twin on the other rank's columns is left out too
    'labels_no_twins': dict(contrast_mode='all', use_labels=True,
                            memory_size=12, exclude_twins=True),
    'labels_twin_across_views': dict(contrast_mode='all', use_labels=True,
                                     memory_size=12, cross_view='twin'),
}


def case_loss(case: dict, rank: int = 0, world: int = 1) -> SupConLoss:
    """The case's loss, its memory filled from an earlier batch when it has
    one (each rank passes its slice; the memory holds the gathered batch)."""
    loss = SupConLoss(0.2, contrast_mode=case['contrast_mode'],
                      memory_size=case.get('memory_size', 0),
                      exclude_twins=case.get('exclude_twins', False),
                      cross_view=case.get('cross_view', 'label'))
    if loss.memory_size:
        generator = torch.Generator().manual_seed(1)
        earlier = torch.randn(8, 2, 6, generator=generator,
                              dtype=torch.float64)
        labels = torch.tensor([4, 3, 2, 1, 0, 0, 1, 2])
        n = earlier.size(0) // world
        part = slice(rank * n, (rank + 1) * n)
        loss(earlier[part], labels[part] if case['use_labels'] else None)
    return loss


def main(out_dir: str) -> None:
    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    features, labels = global_batch()
    n = features.size(0) // world
    results = {}
    for name, case in CASES.items():
        local = features[rank * n:(rank + 1) * n].clone().requires_grad_()
        loss = case_loss(case, rank, world)(
            local, labels[rank * n:(rank + 1) * n]
            if case['use_labels'] else None)
        loss.backward()
        results[name] = dict(loss=loss.detach(), grad=local.grad)
    torch.save(results, f'{out_dir}/rank{rank}.pt')
    dist.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
