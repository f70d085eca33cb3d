"""crop_faces over folders with a planted detector: the output layout,
manifest, pairing report, resume and interrupted-write cleanup."""
import json

import cv2
import numpy as np
import pytest
from planted_detector import PlantedDetector, photo_with_face

from mmsde.apis.crop_faces import crop_faces
from mmsde.datasets import DataEntryError
from mmsde.datasets.crop_manifest import (MANIFEST, SETTINGS_FILE,
                                          read_manifest)
from mmsde.utils.face_crop import CropSettings, Face, NoFaceError


@pytest.fixture
def photo_tree(tmp_path):
    """MSD-E/ + MSD-ME/ with 3 pairs; the masked copy of pair 'c' has no
    face found; a folder photo with two faces and one with none."""
    det, src = PlantedDetector(), tmp_path / 'src'
    for side in ('MSD-E', 'MSD-ME'):
        (src / side).mkdir(parents=True)
        for k, name in enumerate(('1_3_a.jpg', '2_0_b.png', '3_6_c.jpg')):
            photo, face = photo_with_face(k + (10 if side == 'MSD-ME' else 0),
                                          20 + k)
            cv2.imwrite(str(src / side / name), photo)
            photo = cv2.imread(str(src / side / name))
            faces = [] if (side == 'MSD-ME' and k == 2) else [face]
            det.plant(photo, faces)
    group, face1 = photo_with_face(5, 0)
    other, face2 = photo_with_face(6, 100)
    group[:, 100:] = other[:, 100:]
    (src / 'extra').mkdir()
    cv2.imwrite(str(src / 'extra' / 'group.png'), group)
    # equal sizes: 'largest' keeps the first, 'confident' the 0.99 one
    det.plant(group, [face1, Face(face2.box, 0.9, face2.landmarks)])
    cv2.imwrite(str(src / 'extra' / 'empty.png'), np.zeros((50, 50, 3),
                                                           np.uint8))
    (src / 'extra' / 'broken.jpg').write_bytes(b'not an image')
    (src / 'notes.txt').write_text('not an image either')
    return src, det


def test_crops_mirror_the_input_and_the_manifest_records_decisions(
        photo_tree, tmp_path):
    src, det = photo_tree
    out = tmp_path / 'out'
    summary = crop_faces(src, out, det,
                         CropSettings(size=64, multi_face='all'),
                         batch_size=3, progress=False)
    entries = read_manifest(out / MANIFEST)
    assert sorted(entries) == sorted([
        'MSD-E/1_3_a.jpg', 'MSD-E/2_0_b.png', 'MSD-E/3_6_c.jpg',
        'MSD-ME/1_3_a.jpg', 'MSD-ME/2_0_b.png', 'MSD-ME/3_6_c.jpg',
        'extra/group.png', 'extra/empty.png', 'extra/broken.jpg'])
    assert entries['MSD-ME/3_6_c.jpg']['decision'] == 'no_face:skip'
    assert entries['extra/empty.png']['decision'] == 'no_face:skip'
    assert entries['extra/broken.jpg']['decision'] == 'unreadable'
    group = entries['extra/group.png']
    assert group['decision'] == 'several_faces:all'
    assert [c['file'] for c in group['crops']] == [
        'extra/group_face1.png', 'extra/group_face2.png']
    one = entries['MSD-E/2_0_b.png']['crops'][0]
    assert one['file'] == 'MSD-E/2_0_b.png' and one['method'] == \
        'aligned_5pt'
    assert cv2.imread(str(out / one['file'])).shape == (64, 64, 3)
    assert summary['decisions'] == {
        'one_face': 5, 'no_face:skip': 2, 'unreadable': 1,
        'several_faces:all': 1}
    assert summary['crops'] == 7 and summary['images'] == 9
    assert summary['unpaired'] == 1
    assert (out / 'unpaired.txt').read_text() == \
        '*/3_6_c.jpg (a face only in MSD-E)\n'
    settings = json.loads((out / SETTINGS_FILE).read_text())
    assert settings['crop']['size'] == 64
    assert settings['detector'] == dict(config='planted.py', checkpoint=None)


def test_largest_face_policy_keeps_the_file_name(photo_tree, tmp_path):
    src, det = photo_tree
    crop_faces(src / 'extra' / 'group.png', tmp_path / 'o', det,
               CropSettings(size=32), progress=False)
    entry = read_manifest(tmp_path / 'o' / MANIFEST)['group.png']
    assert entry['decision'] == 'several_faces:largest'
    assert [c['file'] for c in entry['crops']] == ['group.png']
    with pytest.raises(NoFaceError, match='empty.png: no face found'):
        crop_faces(src / 'extra' / 'empty.png', tmp_path / 'f', det,
                   CropSettings(no_face='fail'), progress=False)


def test_rerun_skips_finished_images_and_redoes_missing_crops(
        photo_tree, tmp_path):
    src, det = photo_tree
    out = tmp_path / 'out'
    crop_faces(src, out, det, CropSettings(size=48), progress=False)
    calls = det.calls
    again = crop_faces(src, out, det, CropSettings(size=48), progress=False)
    assert det.calls == calls and again['done_before'] == 9
    (out / 'MSD-E' / '1_3_a.jpg').unlink()
    crop_faces(src, out, det, CropSettings(size=48), progress=False)
    assert det.calls == calls + 1
    assert (out / 'MSD-E' / '1_3_a.jpg').is_file()
    with pytest.raises(ValueError, match='records other settings'):
        crop_faces(src, out, det, CropSettings(size=64), progress=False)


def test_resume_after_a_kill_cuts_the_torn_line_and_stale_writes(
        photo_tree, tmp_path):
    src, det = photo_tree
    out = tmp_path / 'out'
    crop_faces(src / 'MSD-E', out, det, CropSettings(size=48),
               progress=False)
    manifest = out / MANIFEST
    lines = manifest.read_text().splitlines(keepends=True)
    # as if killed while writing the third line and the third crop
    manifest.write_text(''.join(lines[:2]) + lines[2][:15])
    (out / '3_6_c.jpg').unlink()
    (out / '3_6_c.partial4242.jpg').write_bytes(b'\xff\xd8half')
    with pytest.raises(DataEntryError, match=r'manifest.jsonl:3: incomplete'):
        read_manifest(manifest)
    summary = crop_faces(src / 'MSD-E', out, det, CropSettings(size=48),
                         progress=False)
    assert summary['done_before'] == 2
    assert sorted(p.name for p in out.iterdir()) == [
        '1_3_a.jpg', '2_0_b.png', '3_6_c.jpg', SETTINGS_FILE, MANIFEST]
    assert len(read_manifest(manifest)) == 3


def test_a_broken_manifest_line_names_file_and_line(tmp_path):
    path = tmp_path / MANIFEST
    path.write_text('{"image": "a.jpg"}\n')
    with pytest.raises(DataEntryError, match='manifest.jsonl:1: a manifest'):
        read_manifest(path)
    path.write_text('[1, 2\n')
    with pytest.raises(DataEntryError, match='manifest.jsonl:1: not JSON'):
        read_manifest(path)
