"""tools/benchmark/carry_light_stack.sh: the light install as wheels for a
machine that has torch and nothing of OpenMMLab, installed there without an
index, runs mmsde's training benchmark."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from e2e_helpers import (REPO, run_tool, venv_seeing_this_env,
                          write_tiny_config)

SCRIPT = REPO / 'tools' / 'benchmark' / 'carry_light_stack.sh'
# besides the packed wheels, what the torch machine does not have
ABSENT = ('mmsde', 'mmdet', '__editable__', 'pkg_resources',
          '_distutils_hack', 'distutils-precedence')


def top_level_names(wheel: Path) -> set:
    """The entries a wheel puts into site-packages (modules, dist-info)."""
    with zipfile.ZipFile(wheel) as zf:
        return {name.split('/')[0].split('.')[0] if '/' not in name
                else name.split('/')[0] for name in zf.namelist()}


def torch_machine(tmp: Path, packed: set) -> Path:
    """A venv that sees this environment's packages except mmsde, mmdet and
    whatever the pack brings: a machine with torch and its kin only."""

    def hidden(name: str) -> bool:
        base = name.split('-')[0].split('.')[0].lower()
        return name in packed or base in packed or \
            name.startswith(ABSENT) or base in ('pip', 'setuptools')

    return venv_seeing_this_env(tmp / 'machine', hidden, with_pip=True)


@pytest.mark.slow
def test_packed_light_stack_trains_on_a_machine_with_torch_only(tmp_path):
    version = f'{sys.version_info.major}.{sys.version_info.minor}'
    wheels = tmp_path / 'whl'
    run_tool('bash', SCRIPT, 'pack', wheels,
             env=dict(PYTHON=sys.executable, TARGET_PYTHON=version))
    names = sorted(w.name for w in wheels.glob('*.whl'))
    for package in ('mmcv-2.1.0+noops', 'mmengine-0.10.7', 'mmpretrain-1.2.0',
                    'numpy-', 'setuptools-', 'addict-', 'yapf-'):
        assert any(n.startswith(package) for n in names), (package, names)
    packed = set().union(*(top_level_names(w) for w in wheels.glob('*.whl')))
    packed = {n.lower() for n in packed}
    python = torch_machine(tmp_path, packed)
    missing = subprocess.run([python, '-c', 'import mmengine'],
                             capture_output=True, text=True)
    assert missing.returncode != 0  # the machine really lacks it

    site = tmp_path / 'site'
    run_tool('bash', SCRIPT, 'install', wheels, site,
             env=dict(PYTHON=str(python)))
    env = dict(PYTHONPATH=f'{site}:{REPO}', OMP_NUM_THREADS='1')
    where = run_tool(python, '-c', (
        'import importlib.util, mmcv, mmengine, mmpretrain, numpy, mmsde; '
        "print(importlib.util.find_spec('mmcv._ext') is None, mmcv.__file__, "
        'mmengine.__file__, numpy.__file__)'), cwd=tmp_path,
        env=env).stdout.split()
    assert where[0] == 'True'  # mmcv without compiled ops
    assert all(path.startswith(str(site)) for path in where[1:]), where

    data = tmp_path / 'data'
    run_tool(python, REPO / 'tools' / 'dataset_converters' /
             'make_synthetic_msde.py', data, '--num-subjects', '10',
             cwd=tmp_path, env=env)
    config = write_tiny_config(tmp_path / 'tiny.py', data)
    bench = run_tool(python, REPO / 'tools' / 'benchmark' / 'train_speed.py',
                     config, '--variants', 'mmsde', '--epochs', '1',
                     '--warmup', '1', cwd=tmp_path, env=env)
    row = next(line for line in bench.stdout.splitlines()
               if '| mmsde runner |' in line)
    assert float(row.split('|')[6].split()[0]) > 0, row  # samples/s
