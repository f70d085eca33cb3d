import hashlib
import runpy
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmsde.datasets.converters import add_synthetic_masks, read_face_list
from mmsde.datasets.synthetic_faces import (EXPRESSIONS,
                                            generate_synthetic_msde,
                                            make_identity, render_face,
                                            render_pair)

TOOLS = Path(__file__).parents[2] / 'tools' / 'dataset_converters'


def _hashes(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


@pytest.fixture(scope='module')
def tiny_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth') / 'set'
    summary = generate_synthetic_msde(root, num_subjects=4, img_size=48)
    return root, summary


def test_layout(tiny_set):
    root, summary = tiny_set
    names = [f'{s:03d}_{c}_0.png' for s in range(1, 5) for c in range(7)]
    assert sorted(p.name for p in (root / 'MSD-E').iterdir()) == names
    assert sorted(p.name for p in (root / 'MSD-ME').iterdir()) == names
    lines = (root / 'Paired_files.txt').read_text().splitlines()
    assert lines == [f'{n},{n.split("_")[1]}' for n in names]
    assert summary['num_pairs'] == 28 and summary['num_images'] == 56
    img = cv2.imread(str(root / 'MSD-ME' / names[0]))
    assert img.shape == (48, 48, 3)
    assert len(EXPRESSIONS) == 7 and EXPRESSIONS[3] == 'Happiness'


def test_files_match_renderer(tiny_set):
    root, _ = tiny_set
    face, masked, _ = render_pair(0, 3, 5, 0, img_size=48)
    np.testing.assert_array_equal(
        cv2.imread(str(root / 'MSD-E' / '003_5_0.png')), face)
    np.testing.assert_array_equal(
        cv2.imread(str(root / 'MSD-ME' / '003_5_0.png')), masked)


def test_deterministic_per_seed(tiny_set, tmp_path):
    root, _ = tiny_set
    generate_synthetic_msde(tmp_path / 'same', num_subjects=4, img_size=48)
    assert _hashes(tmp_path / 'same') == _hashes(root)
    generate_synthetic_msde(
        tmp_path / 'other', num_subjects=4, img_size=48, seed=1)
    same, other = _hashes(root), _hashes(tmp_path / 'other')
    images = [k for k in same if k.endswith('.png')]
    assert all(same[k] != other[k] for k in images)


def test_mask_changes_lower_face_only():
    for subject, label in [(1, 0), (2, 3), (3, 5), (4, 6), (5, 2)]:
        face, masked, lms = render_pair(0, subject, label, img_size=64)
        changed = np.any(face != masked, axis=2)
        eye_row = int(np.floor(lms[:2, 1].min()))
        assert not changed[:eye_row].any()
        x0, x1 = int(lms[0, 0]), int(lms[1, 0]) + 1
        y0, y1 = int(lms[2, 1]) + 1, int(max(lms[3:, 1])) + 1
        assert changed[y0:y1, x0:x1].mean() > 0.95  # nose tip to mouth


def test_expressions_show_in_upper_face():
    ident = make_identity(0, 7)
    faces, lms = {}, {}
    for label in range(7):
        rng = np.random.default_rng([0, label])
        faces[label], lms[label] = render_face(
            ident, label, rng, img_size=112, jitter=False)
    # Without jitter the pose is fixed: landmarks of eyes/nose agree.
    np.testing.assert_allclose(lms[0][:3], lms[6][:3])
    (lx, ly), (rx, _), (nx, ny) = lms[6][:3].astype(int)
    brows_eyes = np.s_[ly - 20:ly + 5, lx - 8:rx + 9]  # above the mask line
    mouth = np.s_[ny + 6:ny + 34, nx - 20:nx + 21]
    for a in range(7):
        for b in range(a + 1, 7):
            diff = np.abs(faces[a].astype(int) - faces[b].astype(int))
            assert diff[brows_eyes].mean() > 1.0, (a, b)
            assert diff[mouth].mean() > 0.5, (a, b)


def test_refuses_non_empty_dir(tmp_path):
    (tmp_path / 'notes.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not empty.*overwrite'):
        generate_synthetic_msde(tmp_path, num_subjects=1, img_size=32)
    generate_synthetic_msde(
        tmp_path, num_subjects=2, img_size=32, overwrite=True)
    generate_synthetic_msde(
        tmp_path, num_subjects=1, img_size=32, overwrite=True)
    assert len(list((tmp_path / 'MSD-E').iterdir())) == 7  # stale removed
    assert (tmp_path / 'notes.txt').read_text() == 'keep me'
    with pytest.raises(ValueError, match='num_subjects must be'):
        generate_synthetic_msde(tmp_path / 'x', num_subjects=0)


def test_cli_refuses_non_empty_dir(tmp_path, monkeypatch, capsys):
    script = str(TOOLS / 'make_synthetic_msde.py')
    argv = [script, str(tmp_path), '--num-subjects', '1', '--img-size', '32']
    monkeypatch.setattr(sys, 'argv', argv)
    runpy.run_path(script, run_name='__main__')
    assert 'num_pairs: 7' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='not empty.*--overwrite'):
        runpy.run_path(script, run_name='__main__')


def _crops(folder: Path, n: int = 3) -> list:
    folder.mkdir()
    names = []
    for i in range(n):
        face, _ = render_face(
            make_identity(9, i + 1), i, np.random.default_rng(i), img_size=64)
        names.append(f'face{i}.jpg' if i == 0 else f'face{i}.png')
        cv2.imwrite(str(folder / names[-1]), face)
    return names


def test_converter(tmp_path):
    names = _crops(tmp_path / 'crops')
    ann = tmp_path / 'list.txt'
    ann.write_text(f'file,label,subject\n{names[0]},Happiness,7\n'
                   f'\n{names[1]},3,7\n{names[2]} 4 12\n')
    summary = add_synthetic_masks(tmp_path / 'crops', ann, tmp_path / 'out')
    out = tmp_path / 'out'
    assert (out / 'Paired_files.txt').read_text().splitlines() == [
        '007_3_0.png,3', '007_3_1.png,3', '012_4_0.png,4'
    ]
    assert summary['num_pairs'] == 3 and summary['num_subjects'] == 2
    original = cv2.imread(str(tmp_path / 'crops' / names[1]))
    copied = cv2.imread(str(out / 'MSD-E' / '007_3_1.png'))
    masked = cv2.imread(str(out / 'MSD-ME' / '007_3_1.png'))
    np.testing.assert_array_equal(original, copied)
    changed = np.any(masked != copied, axis=2)
    assert changed[40:60].mean() > 0.5 and not changed[:25].any()


def test_converter_errors(tmp_path):
    names = _crops(tmp_path / 'crops', 1)
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{names[0]},0\n{names[0]},1\n{names[0]}\n')
    with pytest.raises(ValueError, match=r"list.txt:3: expected 'file,label"):
        read_face_list(ann)
    ann.write_text(f'{names[0]},0\n{names[0]},Contempt\n')
    with pytest.raises(ValueError, match=r"list.txt:2: unknown label 'Contem"):
        read_face_list(ann)
    ann.write_text(f'{names[0]},0,1\n{names[0]},1\n')
    with pytest.raises(ValueError, match=r'list.txt:2: give a subject'):
        read_face_list(ann)
    ann.write_text(f'{names[0]},0\n\nmissing.png,1\n')
    with pytest.raises(
            FileNotFoundError, match=r'list.txt:3: image .*missing'):
        add_synthetic_masks(tmp_path / 'crops', ann, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()  # checked before writing
