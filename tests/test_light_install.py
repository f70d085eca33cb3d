"""The light install (``make install``: mmcv without compiled ops, no
MMDetection) imports every module outside the face tools, trains, tests,
draws its pictures and exports; a face tool refuses at once with the command
that adds what it needs.

Runs in the light environment named by ``MMSDE_LIGHT_PYTHON`` (``.ci/run``
builds one with ``make install VENV=.venv-light``). Without it the tests
skip, except where ``MMSDE_REQUIRE_LIGHT=1`` (CI) makes the missing
environment a failure.
"""
import os
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import REPO, run_tool, write_tiny_config

pytestmark = pytest.mark.slow
LIGHT = os.environ.get('MMSDE_LIGHT_PYTHON')
# the face tools' modules: MMDetection's detectors and the converter of
# their weights (it builds the detector's networks)
FACE_PACKAGES = ('mmsde/models/detectors', 'mmsde/models/converters/mtcnn')


@pytest.fixture(scope='module')
def light_python() -> str:
    if not LIGHT:
        if os.environ.get('MMSDE_REQUIRE_LIGHT') == '1':
            pytest.fail('MMSDE_REQUIRE_LIGHT=1 but MMSDE_LIGHT_PYTHON is not '
                        'set: build the light venv (make install '
                        'VENV=.venv-light) and point it at its python')
        pytest.skip('no light environment: set MMSDE_LIGHT_PYTHON to the '
                    'python of a `make install VENV=.venv-light` venv')
    assert Path(LIGHT).is_file(), f'MMSDE_LIGHT_PYTHON={LIGHT} is no file'
    return LIGHT


def light_modules():
    """Every module of mmsde/ outside the face tools' packages."""
    for path in sorted((REPO / 'mmsde').rglob('*.py')):
        rel = path.relative_to(REPO)
        if any(str(rel).startswith(p) for p in FACE_PACKAGES):
            continue
        parts = rel.with_suffix('').parts
        yield '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def test_light_env_has_no_face_packages_and_imports_the_rest(light_python):
    modules = list(light_modules())
    script = '\n'.join([
        'import importlib, sys',
        'for name in ("mmdet", "mmcv._ext"):',
        '    try:',
        '        importlib.import_module(name)',
        '    except ImportError:',
        '        continue',
        '    sys.exit(f"{name} is importable in the light install")',
        f'for name in {modules!r}:',
        '    importlib.import_module(name)',
        'from mmsde.utils.face_tools import FaceToolsUnavailableError',
        'try:',
        '    import mmsde.models.detectors',
        'except FaceToolsUnavailableError as err:',
        '    print("refused:", err)',
        'else:',
        '    sys.exit("mmsde.models.detectors imported")',
        f'print("imported", {len(modules)})',
    ])
    proc = run_tool(light_python, '-c', script)
    assert f'imported {len(modules)}' in proc.stdout
    assert 'make install-faces' in proc.stdout
    assert len(modules) > 80


def test_light_env_trains_tests_draws_and_exports(light_python, tiny_msde,
                                                  tmp_path):
    config = write_tiny_config(tmp_path / 'tiny.py', tiny_msde, max_epochs=1)
    work = tmp_path / 'run'
    run_tool(light_python, 'tools/train.py', config, '--work-dir', work)
    ckpt = work / 'epoch_1.pth'
    preds = tmp_path / 'preds.pkl'
    test = run_tool(light_python, 'tools/test.py', config, ckpt,
                    '--work-dir', tmp_path / 'test', '--out', preds)
    assert 'masked/accuracy' in test.stdout + test.stderr
    run_tool(light_python, 'tools/visualization/vis_confusion.py', preds)
    run_tool(light_python, 'tools/visualization/vis_curves.py', work,
             '--out-dir', tmp_path / 'curves')
    run_tool(light_python, 'tools/visualization/vis_tsne.py', config, ckpt,
             '--out-dir', tmp_path / 'tsne')
    run_tool(light_python, 'tools/visualization/vis_cam.py', config, ckpt,
             '--num-pairs', '2', '--out', tmp_path / 'cam.png')
    run_tool(light_python, 'tools/deployment/export_onnx.py', config, ckpt,
             '--out', tmp_path / 'model.onnx', '--shape', '64', '64')
    pictures = [tmp_path / 'preds_confusion.png',
                tmp_path / 'curves' / 'run_curves.png', tmp_path / 'cam.png']
    pictures += list((tmp_path / 'tsne').glob('*_tsne.png'))
    assert len(pictures) == 4
    for path in pictures + [tmp_path / 'model.onnx']:
        assert path.stat().st_size > 1000, path


@pytest.mark.parametrize('tool', ['tools/infer.py', 'tools/crop_faces.py'])
def test_face_tool_on_light_env_names_the_install_command(light_python, tool,
                                                          tiny_msde):
    photo = next((tiny_msde / 'MSD-E').glob('*.png'))
    args = [photo] if tool.endswith('infer.py') else [photo,
                                                      '/nonexistent/out']
    proc = subprocess.run([light_python, tool] + [str(a) for a in args],
                          cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert 'make install-faces' in proc.stderr
    assert 'Traceback' not in proc.stderr
