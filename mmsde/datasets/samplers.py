"""Samplers that keep a face's images together in the batch."""
import math
from collections import OrderedDict
from typing import Iterator, List

import torch
from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class TwinSampler(DefaultSampler):
    """:class:`~mmengine.dataset.DefaultSampler` that shuffles faces instead
    of images: the images sharing a ``group_key`` (MSD-E's ``pair_id``, a
    face and its masked copy) come out one after the other.

    With ``views='both'`` and an even batch size, a batch then holds the two
    images of each of its faces, the batch composition of paired training
    (``views='paired'``) through single-image training: the sanity
    ablations compare the two to tell batch composition from the paired
    code path. With several processes, whole groups go to each rank and,
    with ``round_up``, every rank yields ``ceil(len(dataset) / world_size)``
    images, as with ``DefaultSampler``: a rank with fewer repeats its first
    ones; where groups differ in size, a rank with more leaves its last
    ones out for that epoch (other ones the next epoch, as the order
    changes).

    Args:
        dataset: A dataset whose data infos hold ``group_key``.
        shuffle: Shuffle the groups (the order inside a group is kept).
        seed: Shuffle seed; ``None`` syncs a random one across ranks.
        round_up: Give every rank the same number of images.
        group_key: The data-info key that groups images.
    """

    def __init__(self, dataset, shuffle: bool = True, seed=None,
                 round_up: bool = True, group_key: str = 'pair_id') -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed,
                         round_up=round_up)
        groups: 'OrderedDict[str, List[int]]' = OrderedDict()
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            if group_key not in info:
                raise KeyError(f'TwinSampler: sample {index} of '
                               f'{type(dataset).__name__} has no '
                               f'{group_key!r} to group by')
            groups.setdefault(info[group_key], []).append(index)
        self.groups = list(groups.values())

    def __iter__(self) -> Iterator[int]:
        return iter(self._rank_indices())

    def __len__(self) -> int:
        return self.num_samples if self.round_up else len(
            self._rank_indices())

    def _rank_indices(self) -> List[int]:
        """This rank's image indices for the current epoch."""
        order = list(range(len(self.groups)))
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            order = torch.randperm(len(order), generator=generator).tolist()
        # whole groups per rank, so twins never land on different ranks
        mine = [i for k in order[self.rank::self.world_size]
                for i in self.groups[k]]
        if self.round_up and mine:
            mine = (mine * math.ceil(self.num_samples / len(mine)))[
                :self.num_samples]
        return mine


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(DefaultSampler):
    """Draws every class about equally often, as AffectNet papers train:
    each epoch, ``len(dataset)`` indices drawn with replacement, an image's
    weight the inverse of its class's count, so rare classes repeat and
    frequent ones are thinned. Seeded per epoch (``seed + epoch``); each
    rank takes every ``world_size``-th index of the same draw.
    (MMEngine's ``ClassBalancedDataset`` repeats rare images a whole
    number of times instead; this sampler keeps the epoch length.)

    Args:
        dataset: A dataset whose data infos hold ``gt_label``.
        shuffle: Kept for the dataloader config's sake; draws are random.
        seed: Draw seed; ``None`` syncs a random one across ranks.
        round_up: Give every rank the same number of indices.
    """

    def __init__(self, dataset, shuffle: bool = True, seed=None,
                 round_up: bool = True) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed,
                         round_up=round_up)
        labels = torch.tensor([int(dataset.get_data_info(i)['gt_label'])
                               for i in range(len(dataset))])
        counts = torch.bincount(labels).double()
        self.weights = 1.0 / counts[labels]

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        drawn = torch.multinomial(self.weights, self.total_size,
                                  replacement=True, generator=generator)
        return iter(drawn[self.rank:self.total_size:self.world_size]
                    .tolist())
