"""AffectNet from its official CSV lists: labels, the 7- and 8-class
settings, codes left out and counted, masked copies, bad rows named, and
the class-balanced sampler."""
from collections import Counter

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from mmsde.datasets.affectnet import AFFECTNET_COLUMNS, AffectNet
from mmsde.datasets.checks import DataEntryError
from mmsde.datasets.samplers import ClassBalancedSampler

from conftest import PNG

LISTS = 'Manually_Annotated_file_lists'
# AffectNet code -> mmsde label, written out independently of the module
EXPECTED = {0: 6, 1: 3, 2: 4, 3: 0, 4: 1, 5: 2, 6: 5, 7: 7}
LANDMARKS = ';'.join(f'{10 + k % 50}.5' for k in range(136))


def row(rel: str, code, landmarks: str = LANDMARKS, box='2,3,40,41',
        valence='0.5', arousal='-0.25') -> str:
    return f'{rel},{box},{landmarks},{code},{valence},{arousal}'


def write_affectnet(root, train_codes, test_codes, masked_dir=None,
                    extra_train_rows=()):
    """Lists with one image per code (``<split>/<k>.jpg``), and images."""
    (root / LISTS).mkdir(parents=True)
    header = ','.join(AFFECTNET_COLUMNS)
    for split, codes, extra in (('training', train_codes, extra_train_rows),
                                ('validation', test_codes, ())):
        rows = [row(f'{split}/{k}.jpg', c) for k, c in enumerate(codes)]
        (root / LISTS / f'{split}.csv').write_text(
            '\n'.join([header] + rows + list(extra)) + '\n')
        for folder in ['Manually_Annotated_Images'] + (
                [masked_dir] if masked_dir else []):
            (root / folder / split).mkdir(parents=True, exist_ok=True)
            for k in range(len(codes)):
                (root / folder / split / f'{k}.jpg').write_bytes(PNG)
    return root


def test_codes_map_to_mmsde_labels_and_non_expressions_are_counted(tmp_path):
    root = write_affectnet(tmp_path, list(range(11)), [1, 7, 9])
    ds = AffectNet(str(root), split='train', views='non_masked')
    labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
    assert labels == [EXPECTED[c] for c in range(7)]
    assert dict(ds.excluded) == {'Contempt': 2, 'None': 1, 'Uncertain': 2,
                                 'No-Face': 1}  # both lists counted
    assert ds.CLASSES[-1] == 'Neutral' and len(ds.CLASSES) == 7
    eight = AffectNet(str(root), split='train', num_classes=8)
    assert [eight.get_data_info(i)['gt_label'] for i in range(len(eight))
            ] == [EXPECTED[c] for c in range(8)]
    assert eight.CLASSES[7] == 'Contempt'
    assert dict(eight.excluded) == {'None': 1, 'Uncertain': 2, 'No-Face': 1}


def test_validation_list_is_the_test_split_with_landmarks_kept(tmp_path):
    root = write_affectnet(tmp_path, [0, 1], [3, 5])
    test = DATASETS.build(dict(type='AffectNet', data_root=str(root),
                               split='test'))
    assert [test.get_data_info(i)['img_path'] for i in range(2)] == [
        str(root / 'Manually_Annotated_Images' / 'validation' / f'{k}.jpg')
        for k in range(2)]
    assert [test.get_data_info(i)['gt_label'] for i in range(2)] == [0, 2]
    kept = test.rows['validation/0']
    assert kept.box == (2, 3, 40, 41) and kept.expression == 3
    np.testing.assert_allclose(kept.landmarks[0], [10.5, 11.5])
    assert kept.landmarks.shape == (68, 2)
    assert (kept.valence, kept.arousal) == (0.5, -0.25)


def test_masked_copies_pair_up(tmp_path):
    root = write_affectnet(tmp_path, [1, 2], [6], masked_dir='masked')
    pairs = AffectNet(str(root), split='train', masked_dir='masked',
                      views='paired')
    info = pairs.get_data_info(1)
    assert info['img_path'] == [
        str(root / 'Manually_Annotated_Images/training/1.jpg'),
        str(root / 'masked/training/1.jpg')]
    assert info['gt_label'] == 4
    with pytest.raises(ValueError, match='set masked_dir'):
        AffectNet(str(root), views='masked')


@pytest.mark.parametrize('bad,message', [
    (row('training/9.jpg', 12), 'not an AffectNet code 0..10'),
    (row('training/9.jpg', 1, landmarks='1;2;3'), '3 values, expected 136'),
    (row('training/9.jpg', 1, box='1,x,3,4'), "face_y 'x' is not a number"),
    (row('training/9.jpg', 1, valence='nan'), "valence 'nan'"),
    (row('../escape.jpg', 1), 'must be a relative path inside'),
    ('training/9.jpg,1,2', '3 fields, expected 9'),
])
def test_bad_rows_are_named_by_file_and_line(tmp_path, bad, message):
    root = write_affectnet(tmp_path, [1, 2], [3], extra_train_rows=[bad])
    with pytest.raises(DataEntryError, match=f'training.csv:4: .*{message}'):
        AffectNet(str(root))


def test_rows_without_landmarks_load_and_missing_lists_are_named(tmp_path):
    root = write_affectnet(tmp_path, [1], [2], extra_train_rows=[
        row('training/0.jpg', 1, landmarks='')])
    with pytest.raises(DataEntryError, match='listed twice'):
        AffectNet(str(root))
    (root / LISTS / 'validation.csv').unlink()
    with pytest.raises(FileNotFoundError, match='validation.csv not found'):
        AffectNet(str(root))


def test_class_balanced_sampler_evens_out_the_classes(tmp_path,
                                                     monkeypatch):
    """90 Happy and 10 Sad images: drawn about 50/50 over many epochs, the
    same draw for the same seed and epoch, disjoint halves on 2 ranks."""
    root = write_affectnet(tmp_path, [1] * 90 + [2] * 10, [0])
    ds = AffectNet(str(root), split='train', views='non_masked')
    sampler = ClassBalancedSampler(ds, seed=3)
    drawn = []
    for epoch in range(20):
        sampler.set_epoch(epoch)
        drawn += list(sampler)
    counts = Counter(ds.get_data_info(i)['gt_label'] for i in drawn)
    assert len(drawn) == 20 * 100
    assert abs(counts[3] / len(drawn) - 0.5) < 0.05  # Happy
    sampler.set_epoch(4)
    assert list(sampler) == list(sampler)
    again = ClassBalancedSampler(ds, seed=3)
    again.set_epoch(4)
    assert list(again) == list(sampler)
    halves = []
    for rank in range(2):
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info',
                            lambda rank=rank: (rank, 2))
        shard = ClassBalancedSampler(ds, seed=3)
        shard.set_epoch(4)
        halves.append(list(shard))
        assert len(shard) == len(halves[-1]) == 50
    assert sorted(halves[0] + halves[1]) == sorted(sampler)
