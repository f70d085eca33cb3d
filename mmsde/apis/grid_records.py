"""The record of a grid run: what ran (its fingerprint), with which code,
libraries and machine, and what came out; relative paths only.

A record is written atomically when its run finishes, so an interrupted run
leaves none. :func:`run_state` compares a record with what the run would be
now: ``done``, or ``stale`` with the reasons; a record from before grids
(:func:`legacy_reasons`) is ``legacy``.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import platform
import subprocess
from typing import Dict, List, Optional, Tuple

from mmsde.utils.atomic import atomic_path

SCHEMA = 1
STATES = ('done', 'legacy', 'stale', 'failed', 'missing')
#: the states whose record a report uses and a run leaves alone (``legacy``
#: is rerun on request)
FINISHED = ('done', 'legacy')
LIBRARIES = ('torch', 'mmengine', 'mmpretrain', 'mmcv', 'numpy')


def source_hash() -> str:
    """Hash of mmsde's Python sources: the code a run trained with."""
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    digest = hashlib.sha256()
    for path in sorted(glob.glob(osp.join(root, '**', '*.py'),
                                 recursive=True)):
        digest.update(osp.relpath(path, root).encode())
        with open(path, 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


def git_state() -> Dict[str, object]:
    """The checkout's commit and whether mmsde/ or configs/ differ from it
    (None where mmsde is not a git checkout)."""
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

    def git(*args: str) -> Optional[str]:
        try:
            return subprocess.run(['git', '-C', root, *args], check=True,
                                  capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None

    commit = git('rev-parse', 'HEAD')
    if commit is None:
        return dict(commit=None, dirty=None)
    status = git('status', '--porcelain', '--', 'mmsde', 'configs')
    return dict(commit=commit.strip(), dirty=bool(status and status.strip()))


def code_state() -> dict:
    """The code a run trains with: mmsde's source hash, and the commit."""
    return dict(source_hash=source_hash(), **git_state())


def environment() -> dict:
    """Library versions and the machine, for the record."""
    import importlib.metadata as metadata
    versions = {'python': platform.python_version()}
    for name in LIBRARIES + ('mmsde', ):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    machine = dict(system=platform.system(), arch=platform.machine(),
                   cpus=os.cpu_count())
    try:
        import torch
        if torch.cuda.is_available():
            machine['gpu'] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return dict(versions=versions, machine=machine)


def absolute_paths(value, where: str = 'record') -> List[str]:
    """Where ``value`` holds an absolute path (a string starting with ``/``
    or a drive letter), as ``key.path: value``."""
    if isinstance(value, dict):
        return [p for k, v in value.items()
                for p in absolute_paths(v, f'{where}.{k}')]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value)
                for p in absolute_paths(v, f'{where}[{i}]')]
    if isinstance(value, str) and (value.startswith('/') or (
            len(value) > 2 and value[1:3] in (':\\', ':/'))):
        return [f'{where}: {value}']
    return []


def write_record(path: str, record: dict) -> None:
    """Write a record atomically; refuse one holding an absolute path."""
    found = absolute_paths(record)
    if found:
        raise ValueError(f'{path}: a record holds relative paths only; '
                         f'found {found}')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        json.dump(dict(record, schema=SCHEMA), f, indent=2)
        f.write('\n')


def read_record(path: str) -> Optional[dict]:
    """The record at ``path``, or None."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def failure_path(record_path: str) -> str:
    return record_path[:-len('.json')] + '.failed.json'


def legacy_reasons(record: dict) -> List[str]:
    """What a record written before grids cannot tell: always the run's
    options and resolved config; the seed, code and libraries where it did
    not record them (its migration's ``provenance`` lists them)."""
    unknown = ['cfg_options', 'config hash']
    if record.get('seed') is None and 'seed' not in record.get(
            'provenance', {}):
        unknown.append('seed (not fixed)')
    if 'code' not in record:
        unknown.append('code version')
    if 'versions' not in record:
        unknown.append('library versions')
    added = record.get('provenance', {}).get('added_in') or {}
    where = f', committed in {added["commit"][:8]} ({added["date"]})' \
        if added else ''
    return [f'written before grids{where}; unknown: ' + ', '.join(unknown)]


def run_state(record: Optional[dict], wanted: dict, code: dict,
              failed: Optional[dict] = None, accept_code: bool = False
              ) -> Tuple[str, List[str]]:
    """``(state, reasons)`` of a run: ``missing`` (no record; ``failed``
    when its last try failed), ``stale`` (the record's fingerprint or code
    differ from ``wanted`` / ``code``: each difference a reason), or
    ``done``. ``accept_code`` counts a record whose only difference is the
    code as done (its reason still says so)."""
    if record is None:
        if failed is not None:
            return 'failed', [failed.get('error', 'failed')]
        return 'missing', []
    had = record.get('run', {})
    reasons = [f'{key}: {had.get(key)!r} -> {value!r}'
               for key, value in wanted.items() if had.get(key) != value]
    code_reasons = []
    if record.get('code', {}).get('source_hash') != code['source_hash']:
        was = record.get('code', {})
        dirty = '+dirty' if was.get('dirty') else ''
        code_reasons.append(
            f'code: {was.get("source_hash")} (commit '
            f'{str(was.get("commit"))[:8]}{dirty}) -> {code["source_hash"]}')
    if reasons or (code_reasons and not accept_code):
        return 'stale', reasons + code_reasons
    return 'done', code_reasons
