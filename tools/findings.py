"""The results page and the README from the synthetic benchmark's grids.

The findings tables are grid specs (``configs/grids/synthetic/``, run,
resumed and reported by ``tools/grid.py``); this tool writes what is
specific to the documents: each table's report (:data:`TABLES`: its spec's
``grid.out``), the results page's blocks between their ``<!-- findings:...
-->`` markers (each table, and its key fold-paired differences), and the
README's verdicts on the paper's three findings for both benchmarks
(:mod:`mmsde.apis.paper_findings`)::

    python tools/findings.py --readme docs/en/results.md \\
        --summary README.md docs/en/results.md

Run a table with ``tools/grid.py``, e.g. the second_photo table on two
single-threaded lanes, then this tool and ``tools/model_index.py``::

    python tools/grid.py run \\
        configs/grids/synthetic/second-photo_doubled_bf16.py \\
        --lanes 2 --threads 1
"""
import argparse
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmsde.apis.grid import GridSpec, load_spec
from mmsde.apis.grid_report import (finished_runs, grid_runs,
                                    write_grid_report)
from mmsde.apis.kfold import paired_table
from mmsde.apis.paper_findings import summary_table

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SPECS = 'configs/grids/synthetic'
# the results page's fold-paired differences of the first table: (run,
# reference) in reading order
README_PAIRS = (
    ('both', 'nonmasked'), ('masked', 'nonmasked'),
    ('featkd', 'nonmasked'), ('logitkd', 'nonmasked'),
    ('featlogitkd', 'nonmasked'), ('featkd-cached', 'nonmasked'),
    ('paired-mse', 'nonmasked'), ('supcon-joint', 'nonmasked'),
    ('featkd', 'both'), ('logitkd', 'both'), ('featlogitkd', 'both'),
    ('featkd-cached', 'both'), ('paired-mse', 'both'),
    ('supcon-joint', 'both'), ('scn', 'both'), ('dan', 'both'),
    ('scan-cci', 'both'),
    # sanity ablations (listed when they have results)
    ('paired-mse, alpha=0', 'both'), ('supcon-joint, lambda=0', 'both'),
    ('supcon-joint, lambda=0, shared draws', 'both'),
    ('both, twin batches', 'both'),
    ('featlogitkd, weights=0', 'both'),
    # recipe candidates against the table's recipe
    ('nonmasked, scene pretraining', 'nonmasked'),
    ('nonmasked, 112 px', 'nonmasked'),
    ('both, 112 px', 'nonmasked, 112 px'),
    ('supcon-joint, 112 px', 'nonmasked, 112 px'),
    ('supcon-joint, 112 px', 'both, 112 px'),
    ('both, scene pretraining', 'both'),
    ('supcon-joint, T=0.5', 'supcon-joint'))


class Table(NamedTuple):
    """A findings table: its spec, benchmark (masked view), the results
    page's markers of its rows and of its key differences (none: not on
    the page), those differences (None: :func:`table_pairs`), and whether
    the README's summary judges it (its benchmark's table at twice the
    steps)."""
    spec: str
    view: str
    markers: Optional[Tuple[str, str]] = None
    pairs: Optional[Sequence[Tuple[str, str]]] = None
    judged: bool = False


TABLES = (
    Table('overlay_table.py', 'overlay', ('table', 'paired'), README_PAIRS),
    Table('overlay_doubled.py', 'overlay', ('doubled', 'doubled-paired'),
          judged=True),
    Table('overlay_doubled_bf16.py', 'overlay',
          ('doubled-bf16', 'doubled-paired-bf16')),
    Table('overlay_seeds.py', 'overlay'),
    Table('second-photo_doubled_bf16.py', 'second_photo',
          ('second-photo-doubled-bf16',
           'second-photo-doubled-paired-bf16'), judged=True),
)
PRECISION_NAMES = {'fp32': 'float32', 'bf16': 'bfloat16'}


def table_spec(table: Table) -> GridSpec:
    return load_spec(osp.join(REPO_ROOT, SPECS, table.spec))


def table_pairs(rows: Sequence[str], references: Sequence[str]
                ) -> List[Tuple[str, str]]:
    """A table's key differences: every row against its non-masked
    baseline (``references[0]``), the paradigms against its `both`
    (``references[1]``), and every row against the row it derives from
    (``<row>, <change>`` against ``<row>``: the same method at the first
    table's budget, or in float32)."""
    reference, both = references
    single_view = [r for r in rows
                   if r.startswith(('nonmasked,', 'masked,', 'both,'))]
    return [(r, reference) for r in rows if r != reference] + \
        [(r, both) for r in rows if r not in single_view] + \
        [(r, r.rsplit(', ', 1)[0]) for r in rows]


def splice(text: str, marker: str, block: str, path: str) -> str:
    """``text`` with the lines between ``<!-- findings:MARKER -->`` and
    ``<!-- /findings:MARKER -->`` replaced by ``block``.

    Raises:
        ValueError: ``path`` lacks the pair of markers (once each, in order).
    """
    start = f'<!-- findings:{marker} -->\n'
    end = f'<!-- /findings:{marker} -->'
    if text.count(start) != 1 or text.count(end) != 1 or \
            text.index(start) > text.index(end):
        raise ValueError(f'{path}: needs one {start.strip()} line followed '
                         f'by one {end} line')
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f'{head}{start}\n{block.strip()}\n\n{end}{tail}'


def write_readme(path: str, blocks: Dict[str, str]) -> None:
    """Rewrite the marked blocks of ``path`` (all checked before writing,
    so a missing marker leaves the file as it was)."""
    with open(path) as f:
        text = f.read()
    for marker, block in blocks.items():
        text = splice(text, marker, block, path)
    with open(path, 'w') as f:
        f.write(text)
    print(f'[findings] rewrote {", ".join(blocks)} in {path}')


def write_tables(tables: Sequence[Table] = TABLES) -> Dict[str, str]:
    """Write every table's report (its spec's ``grid.out``); returns the
    results page's blocks by marker. A table's differences may name rows
    of the other tables of its benchmark (a bfloat16 row against its
    float32 one)."""
    blocks, runs_by_view = {}, {}
    specs = {table: table_spec(table) for table in tables}
    for table, spec in specs.items():
        # the published tables report what ran, whatever code ran it (each
        # record names its code; tools/grid.py status lists the changes)
        finished = finished_runs(spec, accept_code=True)
        runs = grid_runs(spec, finished=finished)
        if not runs:
            print(f'[findings] {table.spec}: no results yet')
            continue
        write_grid_report(spec, osp.join(REPO_ROOT, spec.out),
                          finished=finished)
        runs_by_view.setdefault(table.view, {}).update(runs)
        if table.markers:
            with open(osp.join(REPO_ROOT, f'{spec.out}.md')) as f:
                blocks[table.markers[0]] = f.read()
    for table, spec in specs.items():
        if table.markers and table.markers[0] in blocks:
            rows = [m for m, method in spec.methods.items() if method.report]
            pairs = table.pairs or table_pairs(rows, spec.references)
            blocks[table.markers[1]] = paired_table(runs_by_view[table.view],
                                                    pairs)
    return blocks


def findings_summary(tables: Sequence[Table] = TABLES) -> str:
    """The paper's findings judged on each benchmark's table at twice the
    steps (:mod:`mmsde.apis.paper_findings`), with the benchmark, precision
    and folds in the column heads."""
    columns = {}
    for table in (t for t in tables if t.judged):
        spec = table_spec(table)
        runs = {name.split(',')[0]: records for name, records
                in grid_runs(spec, accept_code=True).items()}
        folds = sorted({len(r) for r in runs.values()}) or [0]
        span = '-'.join(map(str, sorted({folds[0], folds[-1]})))
        head = (f'`{table.view}` ({PRECISION_NAMES[spec.precision]}, '
                f'{span} folds a row)')
        columns[head] = runs
    return summary_table(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--readme',
                        help='rewrite this file\'s tables and paired '
                        'differences between their <!-- findings:... --> '
                        'markers and closing <!-- /findings:... --> '
                        'comments (the site\'s docs/en/results.md)')
    parser.add_argument('--summary', nargs='+', default=[],
                        help='rewrite these files\' <!-- findings:summary '
                        '--> block: the paper\'s three findings judged on '
                        'each benchmark\'s table at twice the steps')
    args = parser.parse_args()
    blocks = write_tables()
    if args.readme:
        write_readme(args.readme, blocks)
    if args.summary:
        summary = findings_summary()
        for path in args.summary:
            write_readme(path, {'summary': summary})


if __name__ == '__main__':
    main()
