"""Records hold relative paths only: every committed fold record, and
tools/migrate_records.py on an old-style record (idempotent)."""
import json
from pathlib import Path

from e2e_helpers import REPO, run_tool

from mmsde.apis.grid_records import absolute_paths


def test_no_committed_record_holds_an_absolute_path():
    paths = [p for folder in ('docs/findings', 'docs/grids')
             for p in (REPO / folder).rglob('fold*.json')]
    assert len(paths) > 100
    found = {str(p.relative_to(REPO)): absolute_paths(json.loads(
        p.read_text())) for p in paths}
    assert {p: f for p, f in found.items() if f} == {}


def test_migration_strips_paths_and_says_what_is_unknown(tmp_path):
    row = tmp_path / 'both_seed-2'
    row.mkdir()
    old = dict(config='configs/x.py', fold=3, metrics={'a': 1.0},
               checkpoint='/home/someone/work_dirs/x/fold3/best_epoch_9.pth')
    (row / 'fold3.json').write_text(json.dumps(old))
    out = run_tool('python', 'tools/migrate_records.py', tmp_path).stdout
    assert '1 of 1 records migrated' in out
    new = json.loads((row / 'fold3.json').read_text())
    assert new['checkpoint'] == 'best_epoch_9.pth'
    assert new['metrics'] == old['metrics'] and new['fold'] == 3
    assert new['provenance']['seed'] == 2
    assert new['provenance']['added_in'] is None  # not in git
    assert 'seed' not in new['provenance']['unknown']
    assert 'code version' in new['provenance']['unknown']
    before = (row / 'fold3.json').read_text()
    out = run_tool('python', 'tools/migrate_records.py', tmp_path).stdout
    assert '0 of 1 records migrated' in out
    assert (row / 'fold3.json').read_text() == before
    assert absolute_paths(new) == []
    assert Path(row / 'fold3.json').is_file()
