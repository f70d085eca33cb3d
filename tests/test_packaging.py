"""mmsde as an OpenMMLab package: a wheel built from the checkout, installed
into a fresh venv beside this environment's torch and mmcv, used from a
folder outside the checkout through ``mmsde::`` configs and ``mim``."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from e2e_helpers import REPO, run_tool, venv_seeing_this_env
from mmsde.utils import bundled
from mmsde.utils.bundled import bundled_config

BASELINE = 'baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py'
# this environment's own install of mmsde, left out of the new venv's view
OWN_ENTRIES = ('mmsde', '__editable__')


def test_bundled_configs_are_the_checkout_s_in_an_editable_install():
    path = bundled_config('mmsde::' + BASELINE)
    assert path.read_bytes() == (REPO / 'configs' / BASELINE).read_bytes()
    with pytest.raises(FileNotFoundError, match='no such bundled config'):
        bundled_config('mmsde::baseline/missing.py')


def test_an_uninstalled_checkout_uses_its_own_configs(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled, 'MIM_ROOT', tmp_path / 'mmsde' / '.mim')
    config = tmp_path / 'configs' / 'baseline' / 'a.py'
    config.parent.mkdir(parents=True)
    config.write_text('x = 1\n')
    with pytest.raises(FileNotFoundError, match='without its configs'):
        bundled_config('mmsde::baseline/a.py')  # no setup.py: no checkout
    (tmp_path / 'setup.py').write_text('')
    assert bundled_config('mmsde::baseline/a.py') == config


def test_model_index_names_files_that_exist():
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    for metafile in index['Import']:
        meta = yaml.safe_load((REPO / metafile).read_text())
        for model in meta['Models']:
            assert (REPO / model['Config']).is_file(), (metafile, model)


def build_wheel(tmp: Path) -> Path:
    """A wheel of the checkout's files (tracked and new, not ignored),
    built from a copy: building copies configs into ``mmsde/.mim``, which
    in the checkout holds the editable install's links."""
    files = subprocess.run(
        ['git', 'ls-files', '-co', '--exclude-standard'], cwd=REPO,
        capture_output=True, text=True, check=True).stdout.split()
    src = tmp / 'src'
    for name in files:
        if (REPO / name).is_file() and not name.startswith(('tests/',
                                                            'docs/')):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    run_tool(sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
             '--no-build-isolation', '-w', tmp / 'dist', '.', cwd=src)
    (wheel, ) = (tmp / 'dist').glob('mmsde-*.whl')
    return wheel


@pytest.mark.slow
def test_wheel_installs_and_trains_through_mim_outside_the_checkout(
        tmp_path):
    wheel = build_wheel(tmp_path)
    python = venv_seeing_this_env(
        tmp_path / 'venv', lambda name: name.startswith(OWN_ENTRIES))
    run_tool(python, '-m', 'pip', 'install', '-q', '--no-deps', wheel)
    run_tool(python, '-m', 'pip', 'check')
    user = tmp_path / 'project'
    user.mkdir()
    installed = Path(run_tool(
        python, '-c', 'import mmsde; print(mmsde.__file__)',
        cwd=user).stdout.strip()).parent
    assert installed.is_relative_to(tmp_path / 'venv'), installed
    mim = installed / '.mim'
    assert (mim / 'configs' / BASELINE).read_bytes() == \
        (REPO / 'configs' / BASELINE).read_bytes()
    assert (mim / 'model-index.yml').is_file()

    run_tool(python, mim / 'tools' / 'dataset_converters' /
             'make_synthetic_msde.py', user / 'data', '--num-subjects', '10',
             cwd=user)
    (user / 'my_config.py').write_text(f"""_base_ = ['mmsde::{BASELINE}']
data = dict(data_root='{user / 'data'}', num_folds=5)
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = dict(dataset=data)
train_cfg = dict(max_epochs=1)
param_scheduler = dict(T_max=1)
default_hooks = dict(checkpoint=dict(interval=1))
model = dict(backbone=dict(init_cfg=None))
""")
    parsed = run_tool(python, '-c', (
        'import mmsde; from mmengine.config import Config; '
        "cfg = Config.fromfile('my_config.py'); "
        'print(cfg.model.backbone.type, cfg.train_cfg.max_epochs, '
        'cfg.train_dataloader.batch_size)'), cwd=user)
    assert parsed.stdout.split()[-3:] == ['ResNet', '1', '32']

    env = dict(PATH=f'{python.parent}:{os.environ["PATH"]}',
               OMP_NUM_THREADS='1')
    trained = run_tool(python, '-m', 'mim', 'train', 'mmsde',
                       'my_config.py', '--gpus', '0', '--work-dir', 'run',
                       cwd=user, env=env)
    assert str(mim / 'tools' / 'train.py') in trained.stdout
    checkpoint = user / 'run' / 'epoch_1.pth'
    assert checkpoint.is_file()
    tested = run_tool(python, '-m', 'mim', 'test', 'mmsde', 'my_config.py',
                      '--checkpoint', checkpoint, '--gpus', '0',
                      '--work-dir', 'test', cwd=user, env=env)
    assert 'masked/accuracy' in tested.stdout + tested.stderr

    found = run_tool(python, '-m', 'mim', 'search', 'mmsde', cwd=user,
                     env=env)
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    first = yaml.safe_load((REPO / index['Import'][0]).read_text())
    assert first['Models'][0]['Name'] in found.stdout
