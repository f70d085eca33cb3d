"""Fixtures shared by the test folders: a tiny synthetic benchmark and a
config that trains on it in seconds."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BASELINE_CONFIG = (REPO / 'configs' / 'baseline' /
                   'resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py')


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: end-to-end test that runs tools in subprocesses '
        '(deselect with -m "not slow")')


@pytest.fixture(scope='session')
def tiny_msde(tmp_path_factory) -> Path:
    """A 10-subject synthetic benchmark in the MSD-E layout (64x64 px)."""
    from mmsde.datasets.synthetic_faces import generate_synthetic_msde
    root = tmp_path_factory.mktemp('tiny_msde')
    generate_synthetic_msde(root, num_subjects=10, img_size=64, seed=0,
                            overwrite=True)
    return root


def write_tiny_config(path: Path, data_root: Path, base: Path = None,
                      max_epochs: int = 2) -> Path:
    """Write a config that inherits ``base`` and trains on ``data_root``
    with 5 folds, 64 px images and no data-loading workers."""
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
param_scheduler = dict(milestones=[{max_epochs + 1}])
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
""")
    return path


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
