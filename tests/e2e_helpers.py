"""Helpers of the end-to-end tests: run tools in subprocesses on a tiny
config. A plain module (not ``conftest``): pytest imports every
``conftest.py`` under the same module name, so test files cannot import
names from one reliably."""
import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Callable

import torch

REPO = Path(__file__).resolve().parents[1]
BASELINE_CONFIG = (REPO / 'configs' / 'baseline' /
                   'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py')


def write_tiny_config(path: Path, data_root: Path, base: Path = None,
                      max_epochs: int = 2, keep_init: bool = False) -> Path:
    """Write a config that inherits ``base`` and trains on ``data_root``
    with 5 folds, 64 px images and no data-loading workers, from a randomly
    initialised backbone unless ``keep_init`` (the synthetic configs start
    from the cached face pretraining, which tests do not build)."""
    base = base or BASELINE_CONFIG
    loader = ("dict(batch_size={bs}, num_workers=0, persistent_workers=False, "
              "dataset=dict(data_root='{root}', num_folds=5, "
              "pipeline={pipe}))")
    pipe = ("[dict(type='LoadImageFromFile'), "
            "dict(type='PackInputs', algorithm_keys=('masked', 'subject', "
            "'pair_id'))]")
    path.write_text(f"""_base_ = '{base}'
train_dataloader = {loader.format(bs=16, root=data_root, pipe=pipe)}
val_dataloader = {loader.format(bs=32, root=data_root, pipe=pipe)}
test_dataloader = {loader.format(bs=32, root=data_root, pipe=pipe)}
train_cfg = dict(max_epochs={max_epochs})
param_scheduler = dict(T_max={max_epochs})
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
randomness = dict(seed=0)
""" + ('' if keep_init else 'model = dict(backbone=dict(init_cfg=None))\n'))
    return path


PAIRED_PIPELINE = """[
    dict(type='LoadImagePair'),
    dict(type='PairedTransform', transforms=[]),
    dict(type='PackInputs', algorithm_keys=('masked', 'subject', 'pair_id')),
]"""


def write_tiny_paired_config(tmp: Path, data_root: Path, base: Path) -> Path:
    """``write_tiny_config`` for 1 epoch, with a paired training pipeline
    (no augmentation) instead of its single-view one."""
    tiny = write_tiny_config(tmp / 'tiny.py', data_root, base=base,
                             max_epochs=1)
    paired = tmp / 'tiny_paired.py'
    paired.write_text(f"""_base_ = '{tiny}'
train_dataloader = dict(dataset=dict(pipeline={PAIRED_PIPELINE}))
""")
    return paired


def run_tool(*args, cwd: Path = REPO, timeout: int = 600, env: dict = None
             ) -> subprocess.CompletedProcess:
    """Run a command with this interpreter first on PATH; fail with its
    output when it fails."""
    full_env = dict(os.environ)
    full_env['PATH'] = f'{Path(sys.executable).parent}:{full_env["PATH"]}'
    full_env.update(env or {})
    cmd = [str(a) for a in args]
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f'{" ".join(cmd)} exited {proc.returncode}\n'
        f'--- stdout ---\n{proc.stdout[-4000:]}\n'
        f'--- stderr ---\n{proc.stderr[-4000:]}')
    return proc


def scalars(work_dir: Path) -> list:
    """The records of a run's ``vis_data/scalars.json``."""
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    return [json.loads(line) for line in files[-1].read_text().splitlines()]


def weights(ckpt: Path) -> dict:
    """The state dict of a checkpoint that a test wrote."""
    return torch.load(ckpt, map_location='cpu',
                      weights_only=False)['state_dict']


def venv_seeing_this_env(env: Path, hidden: Callable[[str], bool],
                         with_pip: bool = False) -> Path:
    """A fresh venv at ``env`` that sees this environment's packages (torch,
    mmcv, ...) through a ``.pth`` file naming a folder of links to them,
    except the entries whose name ``hidden`` is true for; its python."""
    venv.create(env, with_pip=with_pip)
    view = env.with_name(env.name + '-view')
    view.mkdir()
    for entry in Path(sysconfig.get_paths()['purelib']).iterdir():
        if not hidden(entry.name):
            (view / entry.name).symlink_to(entry)
    python = env / 'bin' / 'python'
    site = subprocess.run(
        [python, '-c', 'import sysconfig; '
         'print(sysconfig.get_paths()["purelib"])'],
        capture_output=True, text=True, check=True).stdout.strip()
    Path(site, 'this-env.pth').write_text(f'{view}\n')
    return python
