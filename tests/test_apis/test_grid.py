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

from mmsde.apis.grid import (RunEntry, fingerprint, load_spec,
                             resolve_options, resolved_config)
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


def test_the_fingerprint_is_the_same_in_any_checkout(tmp_path,
                                                     monkeypatch):
    """A config naming another by ``{{ fileDirname }}`` (a distiller's
    teacher) resolves to an absolute path; two checkouts of the same
    configs give the same hash, a changed config another."""
    from mmsde.apis.grid import base_config
    hashes = []
    for checkout, extra in (('a', ''), ('elsewhere/b', ''), ('c', 'lr = 1')):
        root = tmp_path / checkout
        (root / 'configs').mkdir(parents=True)
        (root / 'configs' / 'student.py').write_text(
            "teacher_cfg = '{{ fileDirname }}/baseline/teacher.py'\n"
            f'{extra}\n')
        (root / 'spec.py').write_text(
            "grid = dict(name='t', folds=None, work_dir='w', "
            "record_dir='r', methods=dict(s=dict(config='configs/"
            "student.py')))\n")
        monkeypatch.chdir(root)
        base_config.cache_clear()
        spec = load_spec('spec.py')
        entry = RunEntry('s', None, 0)
        assert f"'{root}/configs/baseline/teacher.py'" in \
            resolved_config(spec, entry).pretty_text
        hashes.append(fingerprint(spec, entry)['config_hash'])
    base_config.cache_clear()
    assert hashes[0] == hashes[1] != hashes[2]


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


def legacy_record(path: Path, fold: int, accuracy: float, **extra) -> None:
    """A fold record as ``tools/findings.py`` wrote it (no fingerprint)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(
        config='tiny.py', fold=fold, num_folds=5, seconds=3600.,
        metrics={'non_masked/accuracy': accuracy,
                 'masked/accuracy': accuracy / 2,
                 'overall/accuracy': accuracy * 0.75}, **extra)))


def test_legacy_records_stand_in_until_rerun_on_request(tmp_path,
                                                        monkeypatch):
    """A run without a grid record takes its legacy record (``legacy``,
    saying what it cannot tell); it is not rerun unless asked, and a
    student that must run reruns the legacy teacher it needs (whose
    checkpoint is not in the grid's work dir)."""
    from mmsde.apis.grid_runner import entry_states, runs_to_do
    monkeypatch.chdir(tmp_path)
    methods = TWO.replace(
        "teacher=dict(config='tiny.py')",
        "**{'teach er, x=1': dict(config='tiny.py')}").replace(
        "['teacher']", "['teach er, x=1']").replace(
        '{work_dir:teacher}', '{work_dir:teach er, x=1}')
    spec = load_spec(write_spec(tmp_path, methods, ", legacy_dir='old'"))
    for fold in (0, 1):
        legacy_record(tmp_path / 'old' / 'teach-er_x1' / f'fold{fold}.json',
                      fold, 80., provenance=dict(
                          added_in=dict(commit='a' * 40, date='2026-12-01')))
    legacy_record(tmp_path / 'old' / 'student' / 'fold0.json', 0, 70.,
                  seed=None, code=dict(source_hash='x'), versions={})
    entries = spec.entries()
    states = entry_states(spec, entries)
    assert {k: s for k, (s, _) in states.items()} == {
        'teach er, x=1/seed0/fold0': 'legacy',
        'teach er, x=1/seed0/fold1': 'legacy',
        'student/seed0/fold0': 'legacy', 'student/seed0/fold1': 'missing'}
    assert states['teach er, x=1/seed0/fold0'][1] == [
        'written before grids, committed in aaaaaaaa (2026-12-01); unknown: '
        'cfg_options, config hash, seed (not fixed), code version, library '
        'versions']
    assert states['student/seed0/fold0'][1] == [
        'written before grids; unknown: cfg_options, config hash, seed (not '
        'fixed)']
    todo = [e.key for e in runs_to_do(spec, entries, states)]
    assert todo == ['teach er, x=1/seed0/fold1', 'student/seed0/fold1']
    assert [e.key for e in runs_to_do(spec, entries, states, True)] == [
        e.key for e in entries]
    # a grid record of its own replaces the legacy one; its folder: a slug
    entry = RunEntry('teach er, x=1', 0, 0)
    assert spec.record_path(entry) == 'records/teach-er_x1/seed0/fold0.json'
    assert spec.run_dir(entry) == 'work/teach-er_x1/seed0'
    write_record(spec.record_path(entry), dict(
        run=fingerprint(spec, entry), code=code_state()))
    assert entry_states(spec, [entry])[entry.key][0] == 'done'


def test_unseeded_legacy_records_stand_in_for_one_seed_only(tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    legacy_record(tmp_path / 'old' / 'a' / 'fold0.json', 0, 60.)
    legacy_record(tmp_path / 'old' / 'a_seed-2' / 'fold0.json', 0, 62.)
    one = load_spec(write_spec(tmp_path, "a=dict(config='tiny.py')",
                               ", legacy_dir='old', seeds=[0]"))
    assert one.legacy_path(RunEntry('a', 0, 0)) == 'old/a/fold0.json'
    two = load_spec(write_spec(tmp_path, "a=dict(config='tiny.py')",
                               ", legacy_dir='old', seeds=[1, 2]"))
    assert two.legacy_path(RunEntry('a', 0, 1)) is None
    assert two.legacy_path(RunEntry('a', 0, 2)) == 'old/a_seed-2/fold0.json'
    assert two.legacy_path(RunEntry('a', 1, 2)) is None


def test_report_rows_shared_options_and_legacy_count(tmp_path, monkeypatch):
    """The grid's cfg_options reach every method (its own override them); a
    ``report=False`` method runs but is no row; the report says how long
    every run took and how many are legacy."""
    from mmsde.apis.grid_report import (grid_runs, runs_by_folder,
                                        write_grid_report)
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write_spec(tmp_path, (
        "stage1=dict(config='tiny.py', report=False), "
        "ref=dict(config='tiny.py', cfg_options={'b': 2}), "
        "run=dict(config='tiny.py')"),
        ", legacy_dir='old', references=['ref'], "
        "cfg_options={'a': 1, 'b': 1}"))
    assert resolve_options(spec, RunEntry('ref', 0, 0))['b'] == 2
    assert resolve_options(spec, RunEntry('run', 0, 0))['a'] == 1
    for method, accuracy in (('stage1', 10.), ('ref', 50.), ('run', 60.)):
        for fold in (0, 1):
            legacy_record(tmp_path / 'old' / method / f'fold{fold}.json',
                          fold, accuracy + fold)
    assert list(grid_runs(spec)) == ['ref', 'run']
    # tools that read record folders get every finished run by folder name
    folders = runs_by_folder(spec)
    assert {name: sorted(r['fold'] for r in records)
            for name, records in folders.items()} == {
        'stage1': [0, 1], 'ref': [0, 1], 'run': [0, 1]}
    write_grid_report(spec, str(tmp_path / 'out'))
    text = (tmp_path / 'out.md').read_text()
    assert '| run | 2 | 60.50 ± 0.71 |' in text
    assert 'took 6.00 h in total' in text  # stage 1's two hours included
    assert '6 of the 6 runs are legacy records' in text
    paired = (tmp_path / 'out_paired.md').read_text()
    assert '| run | 2 | +10.00 ± 0.00 | +5.00 ± 0.00 |' in paired


def test_several_seeds_compare_at_equal_seeds_and_between_seeds(
        tmp_path, monkeypatch):
    """With two seeds: a row per method and seed; each method against the
    reference pooled over seeds (paired by fold and seed: 4 pairs) and
    against itself with the other seed."""
    from mmsde.apis.grid_report import runs_by_folder, write_grid_report
    monkeypatch.chdir(tmp_path)
    spec = load_spec(write_spec(
        tmp_path, "ref=dict(config='tiny.py'), run=dict(config='tiny.py')",
        ", legacy_dir='old', seeds=[1, 2], references=['ref']"))
    for method, base in (('ref', 50.), ('run', 53.)):
        for seed in (1, 2):
            for fold in (0, 1):
                legacy_record(tmp_path / 'old' / f'{method}_seed-{seed}' /
                              f'fold{fold}.json', fold,
                              base + seed + 2 * fold)
    # by folder name, as the legacy layout names seeded rows
    assert sorted(runs_by_folder(spec)) == [
        'ref_seed-1', 'ref_seed-2', 'run_seed-1', 'run_seed-2']
    write_grid_report(spec, str(tmp_path / 'out'))
    text = (tmp_path / 'out.md').read_text()
    assert '| run, seed 2 | 2 |' in text
    assert not (tmp_path / 'out_paired.md').exists()
    assert '| `run, seeded` | `ref, seeded` | 4 | +3.00 ± 0.00 | +1.50 ± 0.00 |' \
        in text
    assert '| `run, seed 2` | `run, seed 1` | 2 | +1.00 ± 0.00 | +0.50 ± 0.00 |' \
        in text
    assert '`ref, seeded` | `ref, seeded`' not in text


def test_prepare_builds_benchmarks_and_backbones_once(tmp_path,
                                                     monkeypatch):
    """Before any run: each synthetic benchmark a run reads (never over a
    folder that holds something else) and each face-pretrained backbone a
    run starts from, once each."""
    import mmsde.apis.face_pretrain as face_pretrain
    import mmsde.datasets as datasets
    from mmsde.apis.grid_runner import prepare
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(datasets, 'ensure_synthetic_msde',
                        lambda root, view: calls.append((root, view)))
    monkeypatch.setattr(face_pretrain, 'pretrain_faces',
                        lambda config: calls.append(config) or 'cached.pth')
    spec = load_spec(write_spec(
        tmp_path, "a=dict(config='tiny.py'), b=dict(config='tiny.py', "
        "cfg_options={'model.backbone.init_cfg.checkpoint': "
        "'face-pretrain://x.py'})", ", data_root='gen'"))
    prepare(spec, spec.entries(), log=lambda line: None)
    default = 'mmsde::face_pretrain/resnet18_1xb64-adam-4e_synthetic-' \
        'identities-64px.py'  # tiny.py's base starts from it
    assert calls == [('gen', 'second_photo'), default, 'x.py']
    (tmp_path / 'gen').mkdir()
    (tmp_path / 'gen' / 'mine.txt').write_text('not generated')
    calls.clear()
    prepare(spec, spec.entries(), log=lambda line: None)
    assert calls == [default, 'x.py']
