"""Grid specs, runs and records (mmsde.apis.grid*), without training: the
spec's checks, the run order and placeholders, the fingerprint that makes a
record stale, the record's rules, and the Slurm job array submitit would
send (fake sbatch and srun on PATH)."""
import json
import os
import re
import stat
from pathlib import Path

import pytest

from mmsde.apis.grid import RunEntry, fingerprint, load_spec, resolve_options
from mmsde.apis.grid_records import (absolute_paths, code_state, run_state,
                                     write_record)

TINY = '''_base_ = 'mmsde::baseline/resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py'
train_cfg = dict(max_epochs=1)
'''


def write_spec(tmp_path: Path, methods: str, extra: str = '') -> str:
    (tmp_path / 'tiny.py').write_text(TINY)
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''grid = dict(
    name='t', folds=[0, 1], num_folds=5, methods=dict({methods}),
    work_dir='work', record_dir='records'{extra})
''')
    return str(spec)


TWO = '''teacher=dict(config='tiny.py'),
    student=dict(config='tiny.py', after=['teacher'], cfg_options={
        'model.teacher_ckpt': '{work_dir:teacher}/best.pth',
        'work_note': 'fold {fold} seed {seed}'})'''


def test_runs_come_after_what_they_need_with_placeholders_filled(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write_spec(tmp_path, TWO, ", seeds=[0, 3]"))
    keys = [e.key for e in spec.entries()]
    assert keys[:4] == ['teacher/seed0/fold0', 'teacher/seed3/fold0',
                        'teacher/seed0/fold1', 'teacher/seed3/fold1']
    assert [e.key for e in spec.entries(['student'], [1])] == [
        'teacher/seed0/fold1', 'teacher/seed3/fold1',
        'student/seed0/fold1', 'student/seed3/fold1']
    options = resolve_options(spec, RunEntry('student', 1, 3))
    assert options['model.teacher_ckpt'] == 'work/teacher/seed3/fold1/best.pth'
    assert options['work_note'] == 'fold 1 seed 3'
    assert options['randomness.seed'] == 3


@pytest.mark.parametrize('methods,extra,message', [
    ("a=dict(cfg='tiny.py')", '', 'grid.methods.a needs config='),
    ("a=dict(config='tiny.py', after=['b'])", '', "after names ['b']"),
    ("a=dict(config='tiny.py', after=['b']), "
     "b=dict(config='tiny.py', after=['a'])", '', 'forms a loop'),
    ("a=dict(config='tiny.py')", ', folds_=1', "unknown keys ['folds_']"),
    ("a=dict(config='tiny.py')", ", references=['x']",
     "grid.references ['x']"),
    ("a=dict(config='tiny.py')", ", precision='fp16'", 'grid.precision'),
    ("a=dict(config='tiny.py', cfg_options={'x': '{work_dir:a}'})", '',
     'needs after='),
])
def test_bad_specs_are_named(tmp_path, methods, extra, message):
    path = write_spec(tmp_path, methods, extra)
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        spec = load_spec(path)
        resolve_options(spec, spec.entries()[0])
    assert path in str(err.value)


def test_the_fingerprint_changes_with_options_and_config_only(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_spec(tmp_path, TWO)
    spec = load_spec(path)
    entry = RunEntry('teacher', 0, 0)
    first = fingerprint(spec, entry)
    assert fingerprint(load_spec(path), entry) == first
    student = fingerprint(spec, RunEntry('student', 0, 0))
    other = load_spec(write_spec(tmp_path, TWO.replace('fold {fold}', 'f')))
    assert fingerprint(other, entry) == first  # the teacher is untouched
    changed = fingerprint(other, RunEntry('student', 0, 0))
    assert changed['cfg_options'] != student['cfg_options']
    assert changed['config_hash'] != student['config_hash']
    (tmp_path / 'tiny.py').write_text(TINY.replace('max_epochs=1',
                                                   'max_epochs=2'))
    from mmsde.apis.grid import base_config
    base_config.cache_clear()
    assert fingerprint(load_spec(path), entry)['config_hash'] != \
        first['config_hash']


def test_run_states_and_their_reasons():
    code = dict(source_hash='abc', commit='1234567890', dirty=False)
    wanted = dict(method='m', fold=0, seed=0, config_hash='h1')
    record = dict(run=wanted, code=code)
    assert run_state(None, wanted, code) == ('missing', [])
    assert run_state(None, wanted, code, dict(error='OOM'))[0] == 'failed'
    assert run_state(record, wanted, code) == ('done', [])
    state, why = run_state(record, dict(wanted, config_hash='h2'), code)
    assert state == 'stale' and why == ["config_hash: 'h1' -> 'h2'"]
    new_code = dict(code, source_hash='def')
    state, why = run_state(record, wanted, new_code)
    assert state == 'stale' and why[0].startswith('code: abc (commit '
                                                  '12345678) -> def')
    assert run_state(record, wanted, new_code, accept_code=True)[0] == 'done'
    assert len(code_state()['source_hash']) == 16


def test_records_hold_relative_paths_only(tmp_path):
    assert absolute_paths(dict(a=['x/y', {'b': '/abs/c'}], d='C:\\w')) == [
        'record.a[1].b: /abs/c', 'record.d: C:\\w']
    with pytest.raises(ValueError, match=r'record.checkpoint: /tmp/x.pth'):
        write_record(str(tmp_path / 'r.json'), dict(checkpoint='/tmp/x.pth'))
    assert not (tmp_path / 'r.json').exists()
    write_record(str(tmp_path / 'r.json'), dict(checkpoint='w/x.pth'))
    assert json.loads((tmp_path / 'r.json').read_text())['schema'] == 1


def fake_slurm(bin_dir: Path, log: Path) -> None:
    """``srun`` and ``sbatch`` that log the submitted script and answer as
    Slurm does."""
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text('#!/bin/sh\nexit 0\n')
    (bin_dir / 'sbatch').write_text(
        f'#!/bin/sh\ncat "$1" >> {log}\necho "---" >> {log}\n'
        'n=$(grep -c "^---" ' + str(log) + ')\n'
        'echo "Submitted batch job $((100 + n))"\n')
    for name in ('srun', 'sbatch'):
        (bin_dir / name).chmod(0o755 | stat.S_IEXEC)


def test_slurm_job_arrays_per_wave_with_dependencies(tmp_path, monkeypatch):
    """Two waves (teachers, then students): two job arrays, the second
    waiting for the first; the resources as asked."""
    pytest.importorskip('submitit')
    from mmsde.apis.grid_runner import run_submitit
    monkeypatch.chdir(tmp_path)
    log = tmp_path / 'sbatch.log'
    fake_slurm(tmp_path / 'bin', log)
    monkeypatch.setenv('PATH', f'{tmp_path / "bin"}:{os.environ["PATH"]}')
    spec = load_spec(write_spec(tmp_path, TWO))
    jobs = run_submitit(spec, spec.entries(), 'slurm', dict(
        timeout_min=600, cpus_per_task=8, gpus_per_node=1, mem_gb=32,
        slurm_partition='gpu', slurm_array_parallelism=2), log=print)
    assert len(jobs) == 4
    first, second = log.read_text().split('---\n')[:2]
    for script in (first, second):
        for line in ('#SBATCH --array=0-1%2', '#SBATCH --partition=gpu',
                     '#SBATCH --cpus-per-task=8', '#SBATCH --gpus-per-node=1',
                     '#SBATCH --mem=32GB', '#SBATCH --time=600',
                     '#SBATCH --job-name=grid-t'):
            assert line in script, line
    assert '--dependency' not in first
    assert '#SBATCH --dependency=afterok:101' in second


@pytest.mark.parametrize('spec', sorted(
    (Path(__file__).resolve().parents[2] / 'configs' / 'grids').glob('*.py')),
    ids=lambda p: p.stem)
def test_shipped_specs_load_and_resolve(spec):
    """Every shipped spec loads, orders its methods and resolves every
    run's config (the data need not be there)."""
    grid = load_spec(str(spec))
    entries = grid.entries()
    assert len(entries) == len(grid.methods) * len(grid.folds) * len(
        grid.seeds)
    for entry in entries[::max(1, len(entries) // 20)]:
        wanted = fingerprint(grid, entry)
        assert absolute_paths(wanted) == []
        assert wanted['config'].startswith('mmsde::')


def test_native_split_runs_have_their_own_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'tiny.py').write_text(TINY)
    (tmp_path / 'spec.py').write_text('''grid = dict(
    name='n', folds=None, seeds=[1, 2], methods=dict(a=dict(config='tiny.py',
    cfg_options={'note': 'f{fold}'})), work_dir='w', record_dir='r')
''')
    from mmsde.apis.grid_runner import parse_key
    spec = load_spec(str(tmp_path / 'spec.py'))
    assert [e.key for e in spec.entries()] == ['a/seed1/native',
                                               'a/seed2/native']
    assert parse_key('a/seed2/native') == RunEntry('a', None, 2)
    assert resolve_options(spec, RunEntry('a', None, 1))['note'] == 'fnative'
    assert fingerprint(spec, RunEntry('a', None, 1))['fold'] is None
