"""The report of a grid: its finished runs' records as the k-fold tables
(mean ± std, fold-paired differences with p-values against each
reference, costs), Markdown and CSV (:func:`mmsde.apis.kfold.write_report`).
"""
from typing import Dict, List, Sequence

from .grid import GridSpec
from .grid_records import read_record
from .grid_runner import entry_states
from .kfold import DEFAULT_METRICS, write_report


def grid_runs(spec: GridSpec, accept_code: bool = False
              ) -> Dict[str, List[dict]]:
    """``{row name: records of its finished runs}``; a row per method, or
    per method and seed when the grid has several seeds. Stale, failed and
    missing runs are left out (``tools/grid.py status`` lists them)."""
    entries = spec.entries()
    states = entry_states(spec, entries, accept_code)
    runs: Dict[str, List[dict]] = {}
    for entry in entries:
        if states[entry.key][0] != 'done':
            continue
        name = entry.method if len(spec.seeds) == 1 else \
            f'{entry.method}, seed {entry.seed}'
        runs.setdefault(name, []).append(read_record(spec.record_path(
            entry)))
    return runs


def write_grid_report(spec: GridSpec, out_prefix: str,
                      metrics: Sequence[str] = DEFAULT_METRICS,
                      accept_code: bool = False) -> List[str]:
    """Write the grid's tables; returns the files written."""
    runs = grid_runs(spec, accept_code)
    if not runs:
        raise ValueError(f'{spec.path}: no finished run to report yet '
                         '(tools/grid.py status)')
    return write_report(runs, metrics, out_prefix, references(spec, runs))


def references(spec: GridSpec, runs: Dict[str, List[dict]]) -> List[str]:
    """The reference rows that have runs: each reference method, or with
    several seeds each of its seed rows."""
    names = [r for r in spec.references] if len(spec.seeds) == 1 else [
        f'{r}, seed {s}' for r in spec.references for s in spec.seeds]
    return [n for n in names if n in runs]
