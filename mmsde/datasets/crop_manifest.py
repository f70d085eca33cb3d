"""The record of a face-cropping run: ``crop_settings.json`` (how) and
``manifest.jsonl`` (one JSON line per source image: what was found and
decided, and the crops written).

The manifest is appended to after each image's crops are on disk, so a run
killed at any point leaves a manifest whose complete lines describe
finished images; an incomplete last line (the process died while writing
it) is cut off with a warning when the run resumes.

:func:`mmsde.apis.crop_faces` writes both; the data pipeline reads the
landmarks back (:class:`~mmsde.datasets.transforms.SyntheticFaceMask`'s
``crop_manifest``), as does :func:`mmsde.apis.photos_to_msde`.
"""
import json
import os
from pathlib import Path
from typing import Dict, Mapping

from mmengine.logging import print_log

from mmsde.utils.atomic import atomic_path

from .checks import DataEntryError

MANIFEST = 'manifest.jsonl'
SETTINGS_FILE = 'crop_settings.json'
DECISIONS = ('one_face', 'several_faces:largest', 'several_faces:confident',
             'several_faces:all', 'no_face:skip', 'no_face:keep',
             'unreadable')
CROP_METHODS = ('aligned_5pt', 'box', 'whole_image')
_ENTRY_KEYS = {'image', 'decision', 'num_detected', 'image_size', 'crops'}
_CROP_KEYS = {'file', 'method', 'box', 'score', 'landmarks', 'crop_landmarks'}


def write_settings(out_dir: Path, crop: Mapping, detector: Mapping) -> None:
    """Write ``crop_settings.json``, or check that an earlier run into the
    same folder used the same settings (crops made two ways must not mix).

    Args:
        out_dir: The crop folder.
        crop: The crop settings (``CropSettings.to_dict()``).
        detector: The detector's config and checkpoint.

    Raises:
        ValueError: The folder holds crops made with other settings.
    """
    record = dict(crop=dict(crop), detector=dict(detector))
    path = out_dir / SETTINGS_FILE
    if path.is_file():
        before = json.loads(path.read_text())
        if before != record:
            raise ValueError(
                f'{path} records other settings than this run '
                f'({before} vs {record}); crop into a new folder, or delete '
                'the old crops to redo them')
        return
    with atomic_path(str(path)) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=2) + '\n')


def _check_entry(entry, where: str) -> dict:
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
        raise DataEntryError(f'{where}: a manifest entry needs exactly the '
                             f'keys {sorted(_ENTRY_KEYS)}')
    if entry['decision'] not in DECISIONS:
        raise DataEntryError(
            f'{where}: unknown decision {entry["decision"]!r}')
    if not isinstance(entry['image'], str) or not isinstance(
            entry['crops'], list):
        raise DataEntryError(f'{where}: image must be a string and crops a '
                             'list')
    for crop in entry['crops']:
        if not isinstance(crop, dict) or set(crop) != _CROP_KEYS or \
                crop['method'] not in CROP_METHODS or \
                not isinstance(crop['file'], str):
            raise DataEntryError(
                f'{where}: a crop needs the keys {sorted(_CROP_KEYS)}, a '
                f'method in {CROP_METHODS} and a file name')
    return entry


def read_manifest(path: Path, repair: bool = False) -> Dict[str, dict]:
    """Entries of a manifest by source image (relative path).

    Args:
        path: The ``manifest.jsonl``.
        repair: Cut off an incomplete last line (a run killed mid-write)
            instead of raising.

    Raises:
        DataEntryError: A line that is not a manifest entry, naming the
            file and line.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b'\n') + 1
        raise DataEntryError(f'{path}:{line}: not UTF-8') from None
    lines = text.split('\n')
    if lines[-1]:  # no newline at the end: the last write did not finish
        if not repair:
            raise DataEntryError(f'{path}:{len(lines)}: incomplete line')
        print_log(f'{path}:{len(lines)}: cutting off an incomplete line '
                  'left by an interrupted run; that image is redone',
                  logger='current')
        with open(path, 'rb+') as f:
            f.truncate(len(raw) - len(lines[-1].encode('utf-8')))
    entries = {}
    for num, line in enumerate(lines[:-1], 1):
        where = f'{path}:{num}'
        try:
            entry = _check_entry(json.loads(line), where)
        except json.JSONDecodeError as err:
            raise DataEntryError(f'{where}: not JSON ({err.msg})') from None
        entries[entry['image']] = entry  # a redone image: the last line wins
    return entries


def append_entry(path: Path, entry: dict) -> None:
    """Append one entry and flush it to disk."""
    line = json.dumps(entry, separators=(',', ':')) + '\n'
    with open(path, 'a', encoding='utf-8') as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def crop_landmarks(manifest: Path) -> Dict[str, list]:
    """The 5 landmarks of every crop, in crop pixels, by the crop's resolved
    path (crops made without landmarks are left out)."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(f'no crop manifest at {manifest}')
    return landmarks_by_path(read_manifest(manifest),
                             manifest.resolve().parent)


def landmarks_by_path(entries: Dict[str, dict], root: Path
                      ) -> Dict[str, list]:
    """:func:`crop_landmarks` of entries already read, crops under
    ``root`` (the resolved folder of the manifest)."""
    return {str(root / c['file']): c['crop_landmarks']
            for e in entries.values() for c in e['crops']
            if c['crop_landmarks'] is not None}
