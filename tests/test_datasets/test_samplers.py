"""TwinSampler: a face's images side by side, every image once an epoch."""
import pytest
from mmengine.registry import DATA_SAMPLERS

from mmsde.datasets import TwinSampler


class Faces:
    """A stand-in dataset: image i belongs to face ``faces[i]``."""

    def __init__(self, faces):
        self.faces = faces

    def __len__(self):
        return len(self.faces)

    def get_data_info(self, index):
        return dict(pair_id=self.faces[index])


# two images per face, the twins far apart in dataset order (as MSD-E's
# non-masked images come before the masked ones)
FACES = [f'face{i}' for i in range(10)] * 2


def test_twins_are_adjacent_and_every_image_comes_once():
    sampler = TwinSampler(Faces(FACES), seed=0)
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        assert sorted(indices) == list(range(20)) and len(sampler) == 20
        assert all(FACES[a] == FACES[b]
                   for a, b in zip(indices[::2], indices[1::2]))
    sampler.set_epoch(0)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first  # a new face order each epoch


def test_unshuffled_order_is_the_first_appearance_of_each_face():
    indices = list(TwinSampler(Faces(FACES), shuffle=False))
    assert indices[:4] == [0, 10, 1, 11]


def test_two_ranks_split_whole_faces_and_cover_the_set(monkeypatch):
    ranks = []
    for rank in (0, 1):
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info',
                            lambda rank=rank: (rank, 2))
        ranks.append(list(TwinSampler(Faces(FACES), seed=3)))
    assert [len(r) for r in ranks] == [10, 10]
    assert sorted(ranks[0] + ranks[1]) == list(range(20))
    assert not {FACES[i] for i in ranks[0]} & {FACES[i] for i in ranks[1]}


def test_built_from_a_config_and_refuses_ungrouped_data():
    sampler = DATA_SAMPLERS.build(
        dict(type='TwinSampler', dataset=Faces(FACES), seed=0))
    assert isinstance(sampler, TwinSampler)

    class NoPairs(Faces):
        def get_data_info(self, index):
            return {}

    with pytest.raises(KeyError, match="sample 0 of NoPairs has no "
                       "'pair_id'"):
        TwinSampler(NoPairs(FACES), seed=0)
