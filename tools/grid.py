"""Experiment grids: methods x folds x seeds from a spec file, run on this
machine or on a Slurm cluster, with records that say exactly what ran.

Examples:
    # what would run, where, and whether it fits the spec's budget
    python tools/grid.py run configs/grids/masked_rafdb.py --dry-run
    # two runs side by side, one CPU thread each (or --gpus 4: a GPU a run)
    python tools/grid.py run SPEC --lanes 2 --threads 1
    # a Slurm job array per wave (submitit), one GPU per run
    python tools/grid.py run SPEC --launcher slurm --partition gpu \\
        --gpus-per-run 1 --cpus-per-run 8 --mem-gb 32 --time-min 600
    python tools/grid.py status SPEC       # done / legacy / stale / failed /
                                           # missing
    python tools/grid.py summarize SPEC    # tables and forest plots
"""
import argparse
import statistics

LAUNCHERS = ('local', 'slurm', 'submitit-local')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('run', help='run what is not done')
    status = sub.add_parser('status', help='list every run and its state')
    summ = sub.add_parser('summarize', help='tables and forest plots')
    for p in (run, status, summ):
        p.add_argument('spec')
        p.add_argument('--accept-code', action='store_true',
                       help='count records whose only difference is the '
                       'code version as done (their code is reported)')
    for p in (run, status):
        p.add_argument('--methods', nargs='+')
        p.add_argument('--folds', type=int, nargs='+')
    run.add_argument('--dry-run', action='store_true')
    run.add_argument('--rerun-legacy', action='store_true',
                     help='rerun the runs whose only record is a legacy '
                     'one (written before grids; see grid.legacy_dir)')
    run.add_argument('--launcher', choices=LAUNCHERS, default='local')
    run.add_argument('--lanes', type=int, default=1,
                     help='local runs side by side')
    run.add_argument('--threads', type=int,
                     help='CPU threads per local run (OMP_NUM_THREADS)')
    run.add_argument('--gpus', type=int, default=0,
                     help='GPUs of this machine: lane k uses GPU k mod N')
    run.add_argument('--partition')
    run.add_argument('--cpus-per-run', type=int, default=4)
    run.add_argument('--gpus-per-run', type=int, default=0)
    run.add_argument('--mem-gb', type=int, default=16)
    run.add_argument('--time-min', type=int, default=600)
    run.add_argument('--array-parallelism', type=int, default=64)
    summ.add_argument('--out', help='default: the spec\'s grid.out, else '
                      '<record_dir>/report')
    return parser.parse_args()


def submitit_parameters(args: argparse.Namespace) -> dict:
    """The CLI's resources in submitit's AutoExecutor names."""
    params = dict(timeout_min=args.time_min, cpus_per_task=args.cpus_per_run,
                  gpus_per_node=args.gpus_per_run, mem_gb=args.mem_gb,
                  slurm_array_parallelism=args.array_parallelism)
    if args.partition:
        params['slurm_partition'] = args.partition
    return params


def print_status(spec, entries, accept_code: bool) -> dict:
    from mmsde.apis.grid_runner import entry_states
    states = entry_states(spec, entries, accept_code)
    counts = {}
    for key, (state, reasons) in states.items():
        counts[state] = counts.get(state, 0) + 1
        print(f'{state:8s} {key}' + (f'  ({"; ".join(reasons)})'
                                     if reasons else ''))
    print(f'{spec.name}: ' + ', '.join(f'{n} {s}' for s, n in
                                       sorted(counts.items())))
    return states


def dry_run(spec, entries, args) -> None:
    """What would run where, and the estimated wall clock against the
    spec's budget (from the seconds of the records there are)."""
    from mmsde.apis.grid_runner import (entry_states, finished_record,
                                        runs_to_do)
    states = print_status(spec, entries, args.accept_code)
    todo = runs_to_do(spec, entries, states, args.rerun_legacy)
    where = (f'{args.lanes} local lane(s)' if args.launcher == 'local' else
             f'{args.launcher} job arrays, one per wave')
    print(f'would run {len(todo)} of {len(entries)} runs on {where}')
    every = spec.entries()  # time each method on all its finished runs
    every_state = entry_states(spec, every, args.accept_code)
    seconds = {}
    for entry in every:
        record = finished_record(spec, entry, every_state[entry.key][0])
        if record and record.get('seconds'):
            seconds.setdefault(entry.method, []).append(record['seconds'])
    unknown = sorted({e.method for e in todo} - set(seconds))
    total = sum(statistics.mean(seconds[e.method]) for e in todo
                if e.method in seconds)
    hours = total / 3600 / (args.lanes if args.launcher == 'local' else 1)
    if unknown:
        print(f'estimated wall clock: at least {hours:.2f} h; no record yet '
              f'to time {unknown}')
    else:
        print(f'estimated wall clock: {hours:.2f} h (mean seconds of each '
              'method\'s records)')
    if spec.budget_hours:
        verdict = ('cannot tell yet whether it fits' if unknown else
                   'within' if hours <= spec.budget_hours else 'OVER')
        print(f'{verdict} the budget of {spec.budget_hours} h')


def main() -> None:
    args = parse_args()
    import mmsde  # noqa: F401  (registers mmsde's modules)
    from mmsde.apis.grid import load_spec
    try:
        spec = load_spec(args.spec)
        if args.command == 'summarize':
            summarize(spec, args)
            return
        entries = spec.entries(args.methods, args.folds)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    if args.command == 'status':
        print_status(spec, entries, args.accept_code)
    elif args.dry_run:
        dry_run(spec, entries, args)
    elif args.launcher == 'local':
        from mmsde.apis.grid_runner import prepare, run_local
        prepare(spec, entries)
        outcome = run_local(spec, entries, args.lanes, args.threads,
                            args.gpus, args.accept_code,
                            rerun_legacy=args.rerun_legacy)
        failed = sorted(k for k, v in outcome.items() if v != 'done')
        if failed:
            raise SystemExit(f'error: runs not done: {failed}')
    else:
        from mmsde.apis.grid_runner import prepare, run_submitit
        prepare(spec, entries)  # here, before the jobs that read them
        cluster = 'slurm' if args.launcher == 'slurm' else 'local'
        run_submitit(spec, entries, cluster, submitit_parameters(args),
                     args.accept_code, rerun_legacy=args.rerun_legacy)


def summarize(spec, args) -> None:
    from mmsde.apis.grid_report import (finished_runs, grid_runs,
                                        references, write_grid_report)
    from mmsde.apis.kfold import DEFAULT_METRICS
    from mmsde.visualization.forest import draw_forest
    out = args.out or spec.out or f'{spec.record_dir}/report'
    finished = finished_runs(spec, args.accept_code)
    written = write_grid_report(spec, out, finished=finished)
    runs = grid_runs(spec, finished=finished)
    for ref in references(spec, runs):
        if len(runs) > 1:
            written.append(draw_forest(
                runs, ref, DEFAULT_METRICS[:2],
                f'{out}_forest_{ref.replace(", ", "_").replace(" ", "-")}'
                '.png'))
    print('wrote ' + ', '.join(written))


if __name__ == '__main__':
    main()
