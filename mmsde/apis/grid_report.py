"""The report of a grid: its finished runs' records (legacy ones included,
and counted) as the k-fold tables (mean ± std, fold-paired differences
with p-values against each reference, costs), Markdown and CSV
(:func:`mmsde.apis.kfold.write_report`).

With several seeds a row is ``<method>, seed <s>``, and the report adds
each method against each reference at equal seeds (pooled over the seeds,
paired by fold and seed) and each method against itself with another seed:
the run-to-run noise a difference is read against.
"""
from typing import Dict, List, Optional, Sequence, Tuple

from .grid import GridSpec, RunEntry, slug
from .grid_runner import entry_states, finished_record
from .kfold import DEFAULT_METRICS, paired_table, write_report

Runs = Dict[str, List[dict]]


def finished_runs(spec: GridSpec, accept_code: bool = False
                  ) -> List[Tuple[RunEntry, str, dict]]:
    """``(entry, state, record)`` of every finished run (done or legacy),
    rows or not; stale, failed and missing runs are left out
    (``tools/grid.py status`` lists them)."""
    entries = spec.entries()
    states = entry_states(spec, entries, accept_code)
    finished = [(e, states[e.key][0]) for e in entries]
    return [(e, state, finished_record(spec, e, state))
            for e, state in finished if state in ('done', 'legacy')]


def row_name(spec: GridSpec, entry: RunEntry) -> str:
    """A method's row, or with several seeds its seed's row."""
    return entry.method if len(spec.seeds) == 1 else \
        f'{entry.method}, seed {entry.seed}'


def grid_runs(spec: GridSpec, accept_code: bool = False,
              finished: Optional[List[Tuple[RunEntry, str, dict]]] = None
              ) -> Runs:
    """``{row name: records of its finished runs}`` of the report's
    methods, in the order the spec lists them (``finished``: the
    :func:`finished_runs` already read, if any)."""
    if finished is None:
        finished = finished_runs(spec, accept_code)
    order = list(spec.methods)  # not run order; folds and seeds keep theirs
    runs: Runs = {}
    for entry, _, record in sorted(finished,
                                   key=lambda f: order.index(f[0].method)):
        if spec.methods[entry.method].report:
            runs.setdefault(row_name(spec, entry), []).append(record)
    return runs


def runs_by_folder(spec: GridSpec, accept_code: bool = False) -> Runs:
    """``{folder name: records}`` of every finished run, rows or not, by
    the folder names of the legacy layout (a method's :func:`slug`, with
    several seeds ``<slug>_seed-<s>``): for the tools that read record
    folders, whichever layout a run's record is in."""
    runs: Runs = {}
    for entry, _, record in finished_runs(spec, accept_code):
        runs.setdefault(slug(row_name(spec, entry)), []).append(record)
    return runs


def references(spec: GridSpec, runs: Runs) -> List[str]:
    """The reference rows with runs (one seed: each reference method)."""
    return [r for r in spec.references if r in runs] \
        if len(spec.seeds) == 1 else []


def seed_comparisons(spec: GridSpec, runs: Runs) -> str:
    """Each method against each reference before it at equal seeds
    (``<method>, seeded``: pooled, paired by fold and seed) and against
    itself with another seed."""
    pooled: Runs = {}
    for entry in spec.entries():
        record = next((r for r in runs.get(row_name(spec, entry), [])
                       if r['fold'] == entry.fold), None)
        if record is not None:
            pooled.setdefault(f'{entry.method}, seeded', []).append(
                dict(record, fold=(entry.fold, entry.seed)))
    pairs = []
    for method in (m for m, spec_m in spec.methods.items() if spec_m.report):
        own = spec.references.index(method) if \
            method in spec.references else len(spec.references)
        pairs += [(f'{method}, seeded', f'{ref}, seeded')
                  for ref in spec.references[:own]]
        ran = [s for s in spec.seeds if f'{method}, seed {s}' in runs]
        pairs += [(f'{method}, seed {b}', f'{method}, seed {a}')
                  for i, a in enumerate(ran) for b in ran[i + 1:]]
    return ('\nAt equal seeds (`, seeded`: pooled over the seeds, paired by '
            'fold and seed; `folds` counts the pairs) and between seeds '
            '(run-to-run noise):\n\n' + paired_table(dict(runs, **pooled),
                                                     pairs))


def write_grid_report(spec: GridSpec, out_prefix: str,
                      metrics: Sequence[str] = DEFAULT_METRICS,
                      accept_code: bool = False,
                      finished: Optional[List[Tuple[RunEntry, str, dict]]]
                      = None) -> List[str]:
    """Write the grid's tables, their total time (every finished run's,
    rows or not) and how many runs are legacy; returns the files
    written (``finished``: the :func:`finished_runs` already read, if
    any)."""
    if finished is None:
        finished = finished_runs(spec, accept_code)
    runs = grid_runs(spec, finished=finished)
    if not runs:
        raise ValueError(f'{spec.path}: no finished run to report yet '
                         '(tools/grid.py status)')
    written = write_report(runs, metrics, out_prefix,
                           references(spec, runs))
    hours = sum(r.get('seconds', 0.) for _, _, r in finished) / 3600
    legacy = sum(state == 'legacy' for _, state, _ in finished)
    lines = [f'\nTraining and testing took {hours:.2f} h in total (every '
             'run, those that are not rows included).\n']
    if legacy:
        lines.append(f'\n{legacy} of the {len(finished)} runs are legacy '
                     'records, written before grids recorded what ran (their '
                     'options and resolved config are not known; '
                     '`tools/grid.py status` says what else).\n')
    if len(spec.seeds) > 1:
        lines.append(seed_comparisons(spec, runs))
    with open(f'{out_prefix}.md', 'a') as f:
        f.write(''.join(lines))
    return written
