"""tools/grid.py end to end on the tiny benchmark: a 2-method x 2-fold grid
on 2 local lanes, then through submitit's local executor; a grid killed
mid-run and run again; one method's options changed. Records hold relative
paths only."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import REPO, run_tool, write_tiny_config

from mmsde.apis.grid_records import absolute_paths

pytestmark = pytest.mark.slow
GRID = str(REPO / 'tools' / 'grid.py')
KEYS = [f'{m}/seed0/fold{k}' for m in ('nonmasked', 'both') for k in (0, 1)]


def write_grid(tmp_path: Path, data_root: Path, both_options: str = '',
               epochs: int = 1, record_dir: str = 'records') -> Path:
    write_tiny_config(tmp_path / 'tiny.py', data_root, max_epochs=epochs)
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''grid = dict(
    name='tiny', folds=[0, 1], num_folds=5, precision='fp32',
    methods=dict(
        nonmasked=dict(config='tiny.py'),
        both=dict(config='tiny.py', cfg_options={{
            'train_dataloader.dataset.views': 'both'{both_options}}})),
    references=['nonmasked'], budget_hours=1,
    work_dir='work_dirs/grid', record_dir='{record_dir}')
''')
    return spec


def grid(tmp_path: Path, *args) -> str:
    proc = run_tool('python', GRID, *args, cwd=tmp_path)
    return proc.stdout + proc.stderr


def records(tmp_path: Path, record_dir: str = 'records') -> dict:
    return {key: json.loads((tmp_path / record_dir / f'{key}.json')
                            .read_text()) for key in KEYS}


def started(output: str) -> list:
    return [line.split()[1][:-1] for line in output.splitlines()
            if line.startswith('[grid]') and line.endswith('(lane 0)')
            or line.startswith('[grid]') and 'started' in line]


def test_two_lanes_report_and_only_changed_runs_rerun(tiny_msde, tmp_path):
    write_grid(tmp_path, tiny_msde)
    out = grid(tmp_path, 'run', 'spec.py', '--dry-run', '--lanes', '2')
    assert 'would run 4 of 4 runs on 2 local lane(s)' in out
    assert 'cannot tell yet whether it fits the budget of 1 h' in out
    out = grid(tmp_path, 'run', 'spec.py', '--lanes', '2', '--threads', '1')
    assert sorted(started(out)) == sorted(KEYS)
    first = records(tmp_path)
    for key, record in first.items():
        assert absolute_paths(record) == [], key
        assert record['run']['precision'] == 'fp32'
        assert record['precision'] == 'fp32'  # as trained
        assert (tmp_path / record['checkpoint']).is_file()
        assert record['code']['source_hash'] and record['versions']['torch']
    assert first['both/seed0/fold0']['run']['cfg_options'][
        'train_dataloader.dataset.views'] == 'both'
    out = grid(tmp_path, 'summarize', 'spec.py')
    table = (tmp_path / 'records' / 'report.md').read_text()
    assert '| nonmasked | 2 |' in table and '| both | 2 |' in table
    assert (tmp_path / 'records' / 'report_paired.md').is_file()
    assert (tmp_path / 'records' / 'report_forest_nonmasked.png').is_file()
    # rerun as it is: nothing to do (the estimate is of what is left: 0 h)
    out = grid(tmp_path, 'run', 'spec.py', '--dry-run')
    assert 'would run 0 of 4 runs' in out
    assert 'estimated wall clock: 0.00 h' in out
    assert 'within the budget of 1 h' in out
    # one method's options change: only its records are stale and rerun
    write_grid(tmp_path, tiny_msde, ", 'train_dataloader.batch_size': 8")
    out = grid(tmp_path, 'status', 'spec.py')
    assert 'tiny: 2 done, 2 stale' in out
    line = next(ln for ln in out.splitlines()
                if ln.startswith('stale    both/seed0/fold0'))
    assert 'config_hash:' in line and 'cfg_options:' in line
    out = grid(tmp_path, 'run', 'spec.py', '--lanes', '2')
    assert sorted(started(out)) == ['both/seed0/fold0', 'both/seed0/fold1']
    second = records(tmp_path)
    for key in KEYS[:2]:
        assert second[key] == first[key]
    for key in KEYS[2:]:
        assert second[key]['run']['cfg_options'][
            'train_dataloader.batch_size'] == 8


def test_submitit_local_executor_gives_the_same_records(tiny_msde, tmp_path):
    pytest.importorskip('submitit')
    write_grid(tmp_path, tiny_msde)
    grid(tmp_path, 'run', 'spec.py', '--launcher', 'submitit-local')
    for key, record in records(tmp_path).items():
        assert record['key'] == key and absolute_paths(record) == []
    out = grid(tmp_path, 'status', 'spec.py')
    assert 'tiny: 4 done' in out


def test_a_killed_grid_resumes_without_redoing_or_half_records(tiny_msde,
                                                                tmp_path):
    """One lane, two epochs a run: killed while the second run trains, the
    first run's record stays, the second has none; run again, the first is
    not started again and the second resumes from its checkpoint."""
    write_grid(tmp_path, tiny_msde, epochs=2)
    env = dict(os.environ, PATH=f'{Path(sys.executable).parent}:'
               f'{os.environ["PATH"]}')
    proc = subprocess.Popen([sys.executable, GRID, 'run', 'spec.py'],
                            cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    second = tmp_path / 'work_dirs' / 'grid' / 'nonmasked' / 'seed0' / \
        'fold1'
    deadline = time.time() + 300
    # MMEngine names the checkpoint to resume from in last_checkpoint
    while not (second / 'last_checkpoint').is_file() and \
            time.time() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (second / 'epoch_1.pth').is_file(), 'the second run never saved'
    done = sorted(p.relative_to(tmp_path / 'records').as_posix()
                  for p in (tmp_path / 'records').rglob('*.json'))
    assert done == ['nonmasked/seed0/fold0.json']
    kept = (tmp_path / 'records' / done[0]).read_text()
    out = grid(tmp_path, 'run', 'spec.py')
    assert 'nonmasked/seed0/fold0' not in started(out)
    assert (tmp_path / 'records' / done[0]).read_text() == kept
    log = (tmp_path / 'work_dirs' / 'grid' / 'logs' /
           'nonmasked_seed0_fold1.log').read_text()
    assert 'resumed epoch: 1' in log.lower()
    assert len(records(tmp_path)) == 4
    # finished: the resume checkpoints are gone, the tested one stays (a
    # best_* of the killed half may stay too: MMEngine's resume forgets it)
    record = records(tmp_path)['nonmasked/seed0/fold1']
    assert (tmp_path / record['checkpoint']).is_file()
    assert not list(second.glob('epoch_*.pth'))
    assert not (second / 'last_checkpoint').exists()
