"""Running a grid (:mod:`mmsde.apis.grid`): one run in this process
(:func:`run_entry`), several side by side on this machine
(:func:`run_local`), or a job array per wave on a Slurm cluster through
submitit (:func:`run_submitit`). Either way a finished run's record is its
proof: a run with a current record is never redone, an interrupted one
resumes from its last checkpoint, a failed one leaves a ``.failed.json``
with the error.

Run one entry from the shell (what the local lanes start)::

    python -m mmsde.apis.grid_runner SPEC METHOD/seedS/foldK
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

from mmsde.utils.atomic import atomic_path

from .grid import (DATALOADERS, GridSpec, RunEntry, fingerprint, load_spec,
                   resolve_options, resolved_config)
from .grid_records import (FINISHED, code_state, environment, failure_path,
                           legacy_reasons, read_record, run_state,
                           write_record)
from .kfold import RESULT_FILE, fold_dir_name, run_fold

MARKER = 'grid_run.json'
FACTS = ('params', 'precision', 'train_images', 'train_seconds', 'seconds')


def parse_key(key: str) -> RunEntry:
    """``METHOD/seedS/foldK`` -> :class:`RunEntry`."""
    try:
        method, seed, fold = key.rsplit('/', 2)
        if not (seed.startswith('seed') and (
                fold.startswith('fold') or fold == 'native')):
            raise ValueError
        return RunEntry(method, None if fold == 'native' else int(fold[4:]),
                        int(seed[4:]))
    except ValueError:
        raise ValueError(f'{key!r} is not a run key METHOD/seedS/foldK') \
            from None


def entry_states(spec: GridSpec, entries: Sequence[RunEntry],
                 accept_code: bool = False) -> Dict[str, tuple]:
    """``{key: (state, reasons)}`` of each run (``grid_records.STATES``)."""
    code = code_state()
    states = {}
    for entry in entries:
        path = spec.record_path(entry)
        record, failed = read_record(path), read_record(failure_path(path))
        legacy = spec.legacy_path(entry)
        if record is None and failed is None:  # no fingerprint to compare
            states[entry.key] = ('legacy', legacy_reasons(read_record(
                legacy))) if legacy else ('missing', [])
        else:
            states[entry.key] = run_state(
                record, fingerprint(spec, entry), code, failed, accept_code)
    return states


def runs_to_do(spec: GridSpec, entries: Sequence[RunEntry],
               states: Dict[str, tuple], rerun_legacy: bool = False
               ) -> List[RunEntry]:
    """The runs that are not finished (done, or legacy unless
    ``rerun_legacy``), and the legacy runs they need: a legacy run's
    checkpoints are not in the grid's work dir."""
    finished = ('done', ) if rerun_legacy else FINISHED
    todo = {e.key for e in entries if states[e.key][0] not in finished}
    for entry in reversed(entries):  # users before the runs they need
        if entry.key in todo:
            todo.update(k for k in needs(spec, entry)
                        if states.get(k, ('',))[0] == 'legacy')
    return [e for e in entries if e.key in todo]


def finished_record(spec: GridSpec, entry: RunEntry, state: str
                    ) -> Optional[dict]:
    """The record of a finished run: its own, or its legacy one."""
    if state == 'legacy':
        return read_record(spec.legacy_path(entry))
    return read_record(spec.record_path(entry)) if state == 'done' else None


def run_entry(spec_path: str, key: str) -> dict:
    """Train and test one run, then write its record.

    A fold dir left by the same run (same fingerprint and code) resumes;
    one left by another is cleared first, so nothing of another run is
    reused.
    """
    spec = load_spec(spec_path)
    entry = parse_key(key)
    wanted = fingerprint(spec, entry)
    code = code_state()
    record_path = spec.record_path(entry)
    fold_dir = osp.join(spec.run_dir(entry), fold_dir_name(entry.fold))
    marker = dict(run=wanted, source_hash=code['source_hash'])
    if read_record(osp.join(fold_dir, MARKER)) != marker and \
            osp.isdir(fold_dir):
        shutil.rmtree(fold_dir)
    os.makedirs(fold_dir, exist_ok=True)
    with atomic_path(osp.join(fold_dir, MARKER)) as tmp, open(tmp, 'w') as f:
        json.dump(marker, f)
    try:
        metrics = run_fold(spec.methods[entry.method].config,
                           spec.run_dir(entry), entry.fold, spec.num_folds,
                           resolve_options(spec, entry),
                           amp=spec.precision == 'bf16')
    except BaseException as err:  # recorded, then raised again
        os.makedirs(osp.dirname(record_path), exist_ok=True)
        with atomic_path(failure_path(record_path)) as tmp, \
                open(tmp, 'w') as f:
            json.dump(dict(key=key, error=f'{type(err).__name__}: '
                           f'{err}'[-2000:], time=time.time()), f)
        raise
    with open(osp.join(fold_dir, RESULT_FILE)) as f:
        result = json.load(f)
    record = dict(grid=spec.name, key=key, run=wanted, code=code,
                  **environment(), fold=entry.fold, metrics=metrics,
                  checkpoint=osp.join(osp.relpath(fold_dir),
                                      result['checkpoint']),
                  **{k: result[k] for k in FACTS if k in result})
    write_record(record_path, record)
    if osp.exists(failure_path(record_path)):
        os.remove(failure_path(record_path))
    return record


def prepare(spec: GridSpec, entries: Sequence[RunEntry],
            log: Callable = print) -> None:
    """Build, once and before any run, what the runs read but no run
    should race to make: a synthetic benchmark a dataloader names
    (``synthetic_view``; generated into a missing or empty folder only),
    and a ``face-pretrain://`` backbone a model starts from (cached;
    nothing happens when they exist)."""
    from mmsde.datasets import ensure_synthetic_msde
    from mmsde.datasets.msde_writer import read_synthetic_record
    from .face_pretrain import SCHEME, pretrain_faces
    benchmarks, backbones = set(), set()
    for method in dict.fromkeys(e.method for e in entries):
        cfg = resolved_config(spec, next(e for e in entries
                                         if e.method == method))
        for loader in DATALOADERS:
            dataset = cfg.get(loader, {}).get('dataset', {})
            if dataset.get('synthetic_view'):
                benchmarks.add((dataset['data_root'],
                                dataset['synthetic_view']))
        init = cfg.get('model', {}).get('backbone', {}).get('init_cfg') or {}
        checkpoint = init.get('checkpoint') or ''
        if checkpoint.startswith(SCHEME):
            backbones.add(checkpoint[len(SCHEME):])
    for root, view in sorted(benchmarks):
        if osp.isdir(root) and os.listdir(root) and \
                not read_synthetic_record(root):
            continue  # not a generated set: never overwritten here
        if ensure_synthetic_msde(root, view) is not None:
            log(f'[grid] generated the synthetic benchmark ({view}) in '
                f'{root}')
    for config in sorted(backbones):
        log(f'[grid] face-pretrained backbone: {pretrain_faces(config)}')


def needs(spec: GridSpec, entry: RunEntry) -> List[str]:
    """Keys of the runs ``entry`` waits for (same fold and seed)."""
    return [RunEntry(m, entry.fold, entry.seed).key
            for m in spec.methods[entry.method].after]


def run_local(spec: GridSpec, entries: Sequence[RunEntry], lanes: int = 1,
              threads: Optional[int] = None, gpus: int = 0,
              accept_code: bool = False, log: Callable = print,
              poll_s: float = 1.0, rerun_legacy: bool = False
              ) -> Dict[str, str]:
    """Run the grid's runs ``lanes`` at a time on this machine, each in its
    own process with ``threads`` CPU threads (and, with ``gpus``, one GPU
    per lane); a run starts once the runs it needs are done (or legacy:
    :func:`finished_keys`).

    Returns:
        ``{key: 'done' | 'failed' | 'blocked'}`` for the runs it touched.
    """
    states = entry_states(spec, entries, accept_code)
    pending = runs_to_do(spec, entries, states, rerun_legacy)
    outcome = {e.key: 'done' for e in entries if e not in pending}
    running: Dict[str, tuple] = {}
    free_lanes = list(range(lanes))
    logs = osp.join(spec.work_dir, 'logs')
    os.makedirs(logs, exist_ok=True)
    while pending or running:
        for entry in list(pending):
            waits = needs(spec, entry)
            if any(outcome.get(k) in ('failed', 'blocked') for k in waits):
                pending.remove(entry)
                outcome[entry.key] = 'blocked'
                log(f'[grid] {entry.key}: blocked, a run it needs failed')
            elif free_lanes and all(outcome.get(k) == 'done'
                                    for k in waits):
                pending.remove(entry)
                lane = free_lanes.pop(0)
                running[entry.key] = (_start(spec, entry, lane, threads,
                                             gpus, logs), lane)
                log(f'[grid] {entry.key}: started (lane {lane})')
        time.sleep(poll_s if running else 0)
        for key, (proc, lane) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[key]
            free_lanes.append(lane)
            outcome[key] = 'done' if proc.returncode == 0 else 'failed'
            log(f'[grid] {key}: {outcome[key]} (exit {proc.returncode})')
    return outcome


def _start(spec: GridSpec, entry: RunEntry, lane: int,
           threads: Optional[int], gpus: int, logs: str
           ) -> subprocess.Popen:
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if gpus:
        env['CUDA_VISIBLE_DEVICES'] = str(lane % gpus)
    name = entry.key.replace('/', '_')
    out = open(osp.join(logs, f'{name}.log'), 'a')
    return subprocess.Popen(
        [sys.executable, '-m', 'mmsde.apis.grid_runner', spec.path,
         entry.key], stdout=out, stderr=subprocess.STDOUT, env=env)


def make_executor(folder: str, cluster: str, parameters: dict):
    """A submitit executor (``cluster`` ``'slurm'`` or ``'local'``) with
    ``parameters`` in submitit's AutoExecutor names (``timeout_min``,
    ``cpus_per_task``, ``gpus_per_node``, ``mem_gb``,
    ``slurm_partition``, ``slurm_array_parallelism``...)."""
    from mmsde.utils.extras import require_extra
    require_extra('optional', 'submitit', what='grids through submitit')
    import submitit
    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    executor.update_parameters(**parameters)
    return executor


def run_submitit(spec: GridSpec, entries: Sequence[RunEntry], cluster: str,
                 parameters: dict, accept_code: bool = False,
                 log: Callable = print, rerun_legacy: bool = False) -> list:
    """Submit the runs that are not done as one job array per wave (the
    runs a wave needs are in earlier waves). On Slurm each wave waits for
    the last (``afterok``) and this returns at once; with the ``local``
    executor each wave is waited for.

    Returns:
        The submitted jobs.
    """
    todo = runs_to_do(spec, entries, entry_states(spec, entries, accept_code),
                      rerun_legacy)
    waves: Dict[int, List[RunEntry]] = {}
    for entry in todo:
        waves.setdefault(spec.depth(entry.method), []).append(entry)
    executor = make_executor(osp.join(spec.work_dir, 'submitit'), cluster,
                             dict(dict(name=f'grid-{spec.name}'),
                                  **parameters))
    jobs, previous = [], None
    for depth in sorted(waves):
        wave = waves[depth]
        if previous and cluster == 'slurm':
            executor.update_parameters(slurm_additional_parameters=dict(
                dependency=f'afterok:{previous}'))
        submitted = executor.map_array(run_entry, [spec.path] * len(wave),
                                       [e.key for e in wave])
        log(f'[grid] wave {depth}: {len(wave)} runs as job array '
            f'{submitted[0].job_id.split("_")[0]}')
        if cluster != 'slurm':
            for job, entry in zip(submitted, wave):
                try:
                    job.result()
                except Exception as err:  # its .failed.json says why
                    log(f'[grid] {entry.key}: failed ({type(err).__name__})')
        previous = submitted[0].job_id.split('_')[0]
        jobs += submitted
    return jobs


if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    run_entry(sys.argv[1], sys.argv[2])
