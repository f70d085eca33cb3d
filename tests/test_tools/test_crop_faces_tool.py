"""tools/crop_faces.py end to end with a real MMDetection detector: the tiny
RetinaNet that the session fixture trains on generated scenes (no
landmarks, so box crops), on an MSD-E/ + MSD-ME/ pair layout."""
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest
from e2e_helpers import REPO

from mmsde.apis.face_detection import FaceDetector
from mmsde.datasets.crop_manifest import MANIFEST, read_manifest
from mmsde.synthetic.scenes import render_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def scene_pairs(tmp_path_factory):
    """12 scenes as pairs: MSD-E/<name>.png and MSD-ME/<name>.png (the
    masked side is a different scene: the detector sees different faces)."""
    src = tmp_path_factory.mktemp('scene_pairs')
    for side, offset in (('MSD-E', 0), ('MSD-ME', 100)):
        (src / side).mkdir()
        for k in range(12):
            scene = render_scene(7, k + offset, img_size=96, num_faces=(1, 2))
            cv2.imwrite(str(src / side / f'{k + 1}_{k % 7}_0.png'),
                        scene.img)
    return src


def crop_tool(src, out, detector, *extra, wait=True):
    config, checkpoint = detector
    cmd = [sys.executable, 'tools/crop_faces.py', str(src), str(out),
           '--det-config', str(config), '--det-checkpoint', str(checkpoint),
           '--size', '48', '--batch-size', '2', '--no-progress', *extra]
    if not wait:
        return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout[proc.stdout.index('{'):])


def test_crops_manifest_pairing_and_rerun(scene_pairs, tiny_face_detector,
                                          tmp_path):
    out = tmp_path / 'crops'
    summary = crop_tool(scene_pairs, out, tiny_face_detector,
                        '--score-thr', '0.0', '--no-face', 'keep')
    entries = read_manifest(out / MANIFEST)
    assert len(entries) == summary['images'] == 24
    for rel, entry in entries.items():
        assert entry['crops'], rel  # score 0: every image has a crop
        for crop in entry['crops']:
            assert crop['method'] in ('box', 'whole_image')  # no landmarks
            assert crop['landmarks'] is None
            assert cv2.imread(str(out / crop['file'])).shape == (48, 48, 3)
    # pairing kept: the same names on both sides, nothing unpaired
    names = {side: sorted(p.name for p in (out / side).iterdir())
             for side in ('MSD-E', 'MSD-ME')}
    assert names['MSD-E'] == names['MSD-ME'] and len(names['MSD-E']) == 12
    assert summary['unpaired'] == 0
    again = crop_tool(scene_pairs, out, tiny_face_detector,
                      '--score-thr', '0.0', '--no-face', 'keep')
    assert again['done_before'] == 24 and again['photos_per_s'] is None


def test_policies_with_the_real_detector(scene_pairs, tiny_face_detector,
                                         tmp_path):
    """Nothing passes a threshold above 1: every image takes the no-face
    policy; with threshold 0 and 'all', one crop per detection."""
    none = crop_tool(scene_pairs / 'MSD-E', tmp_path / 'none',
                     tiny_face_detector, '--score-thr', '1.01')
    assert none['decisions'] == {'no_face:skip': 12} and none['crops'] == 0
    everything = crop_tool(scene_pairs / 'MSD-E', tmp_path / 'all',
                           tiny_face_detector, '--score-thr', '0.3',
                           '--multi-face', 'all')
    config, checkpoint = tiny_face_detector
    detector = FaceDetector(config, checkpoint)
    entries = read_manifest(tmp_path / 'all' / MANIFEST)
    for rel, entry in entries.items():
        img = cv2.imread(str(scene_pairs / 'MSD-E' / rel))
        found = [f for f in detector.detect([img])[0] if f.score >= 0.3]
        assert entry['num_detected'] >= len(found)
        assert len(entry['crops']) == len(found)
        if len(found) > 1:
            assert entry['decision'] == 'several_faces:all'
            assert all('_face' in c['file'] for c in entry['crops'])
    assert everything['crops'] == sum(len(e['crops'])
                                      for e in entries.values())


def test_a_killed_run_leaves_no_partial_crop_and_resumes(
        scene_pairs, tiny_face_detector, tmp_path):
    out = tmp_path / 'killed'
    proc = crop_tool(scene_pairs, out, tiny_face_detector, '--score-thr',
                     '0.0', '--no-face', 'keep', wait=False)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        manifest = out / MANIFEST
        if manifest.is_file() and manifest.read_text().count('\n') >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for dirpath, _, files in os.walk(out):  # every final crop is complete
        for name in files:
            if name.endswith('.png') and '.partial' not in name:
                assert cv2.imread(os.path.join(dirpath, name)) is not None
    summary = crop_tool(scene_pairs, out, tiny_face_detector, '--score-thr',
                        '0.0', '--no-face', 'keep')
    assert summary['images'] == 24 and 3 <= summary['done_before'] < 24
    assert not [n for _, _, fs in os.walk(out) for n in fs
                if '.partial' in n]
    assert len(read_manifest(out / MANIFEST)) == 24
