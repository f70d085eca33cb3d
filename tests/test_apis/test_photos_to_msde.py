"""Labelled photos to the MSD-E layout: detect, crop, mask from landmarks."""
import csv

import cv2
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS
from planted_detector import PlantedDetector, photo_with_face

from mmsde.apis.crop_faces import crop_faces
from mmsde.apis.photos_to_msde import photos_to_msde
from mmsde.datasets import MSDE, DataEntryError
from mmsde.datasets.crop_manifest import read_manifest
from mmsde.utils.face_crop import CropSettings


@pytest.fixture
def photos(tmp_path):
    """Four labelled photos of two subjects, box-only detections (as from a
    detector without landmarks) for one, no face in another."""
    det, root = PlantedDetector(), tmp_path / 'photos'
    root.mkdir()
    rows = [('p0.png', 'Happiness', 's1'), ('p1.png', 'Anger', 's1'),
            ('p2.png', 'Neutral', 's2'), ('p3.png', 'Fear', 's2')]
    for k, (name, _, _) in enumerate(rows):
        photo, face = photo_with_face(20 + k, 30 + 7 * k)
        cv2.imwrite(str(root / name), photo)
        det.plant(photo, [] if k == 3 else [face])
    with open(root / 'labels.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['img_path', 'gt_label', 'subject'])
        writer.writerows(rows)
    return root, det


def test_photos_become_a_paired_set_with_masks_on_the_landmarks(
        photos, tmp_path):
    root, det = photos
    out = tmp_path / 'msde'
    summary = photos_to_msde(root, root / 'labels.csv', out, detector=det,
                             settings=CropSettings(size=96, align='box',
                                                   margin=0.3),
                             progress=False)
    assert summary['excluded'] == 1 and summary['crop']['crops'] == 3
    assert (out / 'excluded.txt').read_text().startswith(
        f'{root / "labels.csv"}:5: p3.png (no_face:skip)')
    names = sorted(p.name for p in (out / 'MSD-E').iterdir())
    assert names == sorted(p.name for p in (out / 'MSD-ME').iterdir())
    assert len(names) == 3
    # the crops' recorded landmarks locate the mouth and eyes: the mask
    # changes the mouth, not the eyes
    manifest = read_manifest(tmp_path / 'msde_crops' / 'manifest.jsonl')
    lms = np.array(manifest['p0.png']['crops'][0]['crop_landmarks'])
    name = next(n for n in names if n.split('_')[1] == '3')  # Happiness
    clean = cv2.imread(str(out / 'MSD-E' / name)).astype(int)
    masked = cv2.imread(str(out / 'MSD-ME' / name)).astype(int)

    def change_at(x, y, r=3):
        x, y = int(round(x)), int(round(y))
        return np.abs(clean[y - r:y + r, x - r:x + r] -
                      masked[y - r:y + r, x - r:x + r]).mean()
    mouth = lms[3:].mean(0)
    assert change_at(*mouth) > 20
    assert change_at(*lms[0]) < 2 and change_at(*lms[1]) < 2
    dataset = MSDE(str(out), split='all', fold=None)  # the set loads
    assert len(dataset) == 6
    assert sorted({dataset.get_data_info(i)['subject']
                   for i in range(6)}) == ['s1', 's2']


def test_an_annotation_path_outside_the_photo_folder_is_refused(
        photos, tmp_path):
    root, det = photos
    (tmp_path / 'outside.png').write_bytes((root / 'p0.png').read_bytes())
    (root / 'bad.csv').write_text('img_path,gt_label\n../outside.png,3\n')
    with pytest.raises(DataEntryError, match='bad.csv:2.*outside'):
        photos_to_msde(root, root / 'bad.csv', tmp_path / 'o', detector=det,
                       progress=False)
    assert not (tmp_path / 'o').exists()


def test_synthetic_mask_transform_reads_landmarks_from_the_manifest(
        photos, tmp_path):
    """Box crops of real-style photos: the pipeline transform places the
    mask from the landmarks the crop manifest recorded, not the template."""
    root, det = photos
    crops = tmp_path / 'crops'
    crop_faces(root, crops, det, CropSettings(size=96, align='box',
                                              margin=0.6), progress=False)
    lms = np.array(read_manifest(crops / 'manifest.jsonl')['p1.png'][
        'crops'][0]['crop_landmarks'])
    img = cv2.imread(str(crops / 'p1.png'))
    transform = TRANSFORMS.build(dict(
        type='SyntheticFaceMask', styles=['surgical'],
        crop_manifest=str(crops / 'manifest.jsonl')))
    np.random.seed(0)
    out = transform(dict(img=img.copy(), img_path=str(crops / 'p1.png')))
    changed = np.abs(out['img'].astype(int) - img.astype(int)).sum(-1) > 30
    mouth = np.round(lms[3:].mean(0)).astype(int)
    assert changed[mouth[1] - 2:mouth[1] + 3, mouth[0] - 2:mouth[0] + 3].all()
    for x, y in np.round(lms[:2]).astype(int):  # the eyes stay visible
        assert not changed[y - 1:y + 2, x - 1:x + 2].any()
    np.random.seed(0)
    template = transform(dict(img=img.copy()))['img']  # no path: template
    assert np.abs(template.astype(int) - out['img'].astype(int)).mean() > 1
