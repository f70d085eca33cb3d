"""Bring fold records written before grids recorded their provenance up to
the rule that records hold relative paths only.

For each ``fold*.json`` under the folders given: an absolute ``checkpoint``
becomes its file name (the file in the fold's own folder, as ``kfold`` has
written since), and a ``provenance`` block says what the committed history
knows (the commit that added the record and its date) and what it cannot
know (the code the run trained with, the seed, the options, the library
versions, the machine). Records are rewritten atomically; running it again
changes nothing.

    python tools/migrate_records.py docs/findings/folds \\
        docs/findings/second_photo/folds
"""
import argparse
import glob
import json
import os.path as osp
import subprocess
from typing import Optional

from mmsde.apis.grid_records import absolute_paths
from mmsde.utils.atomic import atomic_path

UNKNOWN = ['code version', 'seed', 'cfg_options', 'library versions',
           'machine']


def added_in(path: str) -> Optional[dict]:
    """The commit that added ``path`` and its date (None if untracked)."""
    out = subprocess.run(
        ['git', 'log', '--diff-filter=A', '--format=%H %cs', '--', path],
        capture_output=True, text=True).stdout.split()
    return dict(commit=out[-2], date=out[-1]) if len(out) >= 2 else None


def provenance(path: str) -> dict:
    """What the history knows of a record: the commit that added it, and
    the seed where its row's folder names one (``<row>_seed-<s>``)."""
    known = dict(migrated='a fold record written without its provenance '
                 '(by tools/findings.py or tools/kfold.py before they '
                 'recorded it)', added_in=added_in(path))
    row = osp.basename(osp.dirname(path))
    seed = row.rsplit('_seed-', 1)[1] if '_seed-' in row else ''
    if seed.isdigit():
        known['seed'] = int(seed)
    known['unknown'] = [u for u in UNKNOWN
                        if not (u == 'seed' and 'seed' in known)]
    return known


def migrate(path: str) -> bool:
    """Migrate one record; whether it changed."""
    with open(path) as f:
        record = json.load(f)
    before = json.dumps(record, sort_keys=True)
    checkpoint = record.get('checkpoint')
    if isinstance(checkpoint, str) and osp.isabs(checkpoint):
        record['checkpoint'] = osp.basename(checkpoint)
    if 'provenance' not in record and 'code' not in record:
        record['provenance'] = provenance(path)
    found = absolute_paths(record)
    if found:
        raise SystemExit(f'error: {path} still holds {found}')
    if json.dumps(record, sort_keys=True) == before:
        return False
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        json.dump(record, f, indent=2)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('folders', nargs='+')
    args = parser.parse_args()
    paths = sorted(p for folder in args.folders for p in glob.glob(
        osp.join(glob.escape(folder), '**', 'fold*.json'), recursive=True)
        if not p.endswith('.failed.json'))
    changed = sum(migrate(p) for p in paths)
    print(f'{changed} of {len(paths)} records migrated')


if __name__ == '__main__':
    main()
