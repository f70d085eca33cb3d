"""Masked copies of a dataset: every image masked or listed with its reason,
landmarks from the dataset itself first, the same draw for the same seed
and image whatever the order, greyscale kept, written where the dataset
reads them."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from mmsde.apis.mask_dataset import LandmarkFinder, mask_dataset
from mmsde.datasets import RAFDB, AffectNet
from mmsde.datasets.affectnet import AFFECTNET_COLUMNS

LISTS = 'Manually_Annotated_file_lists'
FIVE = np.array([[22., 26.], [42., 26.], [32., 36.], [25., 46.], [39., 46.]])


def sixty_eight(five: np.ndarray) -> str:
    """68 landmarks (AffectNet's ``x;y`` text) whose 5 points are ``five``:
    eye contours all at the eye centres, the rest at the nose."""
    pts = np.repeat(five[2:3], 68, axis=0)
    pts[36:42], pts[42:48] = five[0], five[1]
    pts[48], pts[54] = five[3], five[4]
    return ';'.join(f'{v:.1f}' for v in pts.ravel())


def write_affectnet(root: Path, rows, order=None) -> Path:
    """64x64 photos ``k.jpg`` with the given landmark texts, code 1."""
    (root / LISTS).mkdir(parents=True, exist_ok=True)
    (root / 'Manually_Annotated_Images').mkdir(exist_ok=True)
    lines = []
    for k in order or range(len(rows)):
        lines.append(f'{k}.jpg,0,0,64,64,{rows[k]},1,0.5,0.5')
        img = np.full((64, 64, 3), 60 + 20 * k, np.uint8)
        cv2.imwrite(str(root / 'Manually_Annotated_Images' / f'{k}.jpg'),
                    img)
    header = ','.join(AFFECTNET_COLUMNS)
    (root / LISTS / 'training.csv').write_text(
        '\n'.join([header] + lines) + '\n')
    (root / LISTS / 'validation.csv').write_text(header + '\n')
    return root


TURNED = FIVE.copy()
TURNED[2, 0] += 20  # the nose far off the eye midpoint: about 60 degrees
ROWS = [sixty_eight(FIVE), sixty_eight(FIVE + 40), '', sixty_eight(TURNED),
        sixty_eight(FIVE + [3, 2])]


def affectnet(root: Path) -> AffectNet:
    return AffectNet(str(root), masked_dir='masked', lazy_init=True)


def run(dataset, seed=0, overwrite=False, sources=('dataset', )):
    finder = LandmarkFinder(sources, dataset.face_landmarks
                            if hasattr(dataset, 'face_landmarks') else None)
    return mask_dataset(dataset, finder, seed=seed, overwrite=overwrite,
                        progress=False)


def test_every_image_is_masked_or_listed_with_its_reason(tmp_path):
    root = write_affectnet(tmp_path / 'an', ROWS)
    report = run(affectnet(root))
    assert report.images == 5 and report.masked == 2
    assert dict(report.skipped) == {'landmarks off the image': 1,
                                    'no landmarks': 1,
                                    'head turned beyond 45 degrees': 1}
    assert dict(report.landmarks_from) == {'dataset': 2}
    lines = [json.loads(line) for line in
             Path(report.manifest).read_text().splitlines()]
    assert Path(report.manifest) == root / 'masked' / 'masks.jsonl'
    assert [(r['source'], r['status']) for r in lines] == [
        (f'Manually_Annotated_Images/{k}.jpg', status) for k, status in
        enumerate(['masked', 'skipped', 'skipped', 'skipped', 'masked'])]
    for r in lines:
        assert (root / r['target']).is_file() == (r['status'] == 'masked')
    np.testing.assert_allclose(lines[0]['landmarks'], FIVE)
    # the dataset now reads its pairs (the skipped ones are logged: to a
    # logger of this test, not one an earlier test left pointing at a
    # removed log file)
    MMLogger.get_instance('test_mask_dataset')
    pairs = AffectNet(str(root), masked_dir='masked', views='paired',
                      on_error='skip')
    assert len(pairs) == 2


def test_same_seed_same_masks_whatever_the_order(tmp_path):
    root = write_affectnet(tmp_path / 'a', ROWS)
    run(affectnet(root), seed=7)
    shuffled = write_affectnet(tmp_path / 'b', ROWS, order=[4, 3, 2, 1, 0])
    run(affectnet(shuffled), seed=7)
    for k in (0, 4):
        first = (root / 'masked' / f'{k}.jpg').read_bytes()
        assert first == (shuffled / 'masked' / f'{k}.jpg').read_bytes()
    with pytest.raises(FileExistsError, match='2 masked copies exist'):
        run(affectnet(root), seed=7)
    before = cv2.imread(str(root / 'masked' / '0.jpg'))
    run(affectnet(root), seed=8, overwrite=True)
    assert np.abs(cv2.imread(str(root / 'masked' / '0.jpg')).astype(int)
                  - before).max() > 20


def test_grey_48px_crops_stay_grey_with_the_template(tmp_path):
    root = tmp_path / 'raf'
    (root / 'EmoLabel').mkdir(parents=True)
    (root / 'EmoLabel' / 'list_patition_label.txt').write_text(
        'train_00001.jpg 4\ntest_0001.jpg 1\n')
    (root / 'Image' / 'aligned').mkdir(parents=True)
    for stem in ('train_00001', 'test_0001'):
        cv2.imwrite(str(root / 'Image' / 'aligned' / f'{stem}_aligned.jpg'),
                    np.full((48, 48), 90, np.uint8))
    report = run(RAFDB(str(root), masked_dir='masked', lazy_init=True),
                 sources=('dataset', 'template'))
    assert report.masked == 2 and dict(report.landmarks_from) == {
        'template': 2}
    masked = cv2.imread(str(root / 'masked' / 'train_00001_aligned.jpg'),
                        cv2.IMREAD_UNCHANGED)
    assert masked.shape == (48, 48)  # still one channel
    assert np.abs(masked[30:44, 14:34].astype(int) - 90).mean() > 10
    assert np.abs(masked[:10].astype(int) - 90).max() <= 3  # forehead
