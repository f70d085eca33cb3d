"""Detect, align and crop the faces of a photo or a folder of photos.

The output folder mirrors the input (sub-folders and file names kept, so an
``MSD-E/`` + ``MSD-ME/`` pair layout stays paired), holds
``crop_settings.json`` and ``manifest.jsonl``
(:mod:`mmsde.datasets.crop_manifest`), and is resumable: a rerun skips
every image the manifest already lists with its crops on disk. Crops are
written atomically.
"""
import re
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from mmsde.datasets.crop_manifest import (MANIFEST, append_entry,
                                          read_manifest, write_settings)
from mmsde.datasets.msde import MASKED_DIR, NON_MASKED_DIR
from mmsde.utils.atomic import atomic_path
from mmsde.utils.face_crop import CropSettings, Face, NoFaceError, crop_image

from .face_detection import FaceDetector

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif',
                    '.tiff')
UNPAIRED_FILE = 'unpaired.txt'
PARTIAL = re.compile(r'\.partial\d+(\.|$)')


def list_images(src: Path) -> Tuple[Path, List[str]]:
    """The root and the sorted relative paths of the images under ``src``
    (a file, or a folder searched recursively)."""
    src = Path(src)
    if src.is_file():
        return src.parent, [src.name]
    if not src.is_dir():
        raise FileNotFoundError(f'no image or folder at {src}')
    names = sorted(
        p.relative_to(src).as_posix() for p in src.rglob('*')
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not names:
        raise FileNotFoundError(
            f'{src} holds no image ({", ".join(IMAGE_EXTENSIONS)})')
    return src, names


def crop_name(rel: str, index: Optional[int]) -> str:
    """Output name of a crop: the source name, or ``<stem>_face<k><ext>``
    (``k`` from 1) when every face of an image is kept."""
    if index is None:
        return rel
    path = Path(rel)
    return path.with_name(f'{path.stem}_face{index + 1}{path.suffix}'
                          ).as_posix()


def write_image(path: Path, img: np.ndarray) -> None:
    """Write ``img`` atomically in the format of ``path``'s extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(str(path)) as tmp:
        if not cv2.imwrite(tmp, img, [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f'could not write {path}')


def _process(rel: str, img: Optional[np.ndarray], faces: Sequence[Face],
             out_dir: Path, settings: CropSettings) -> dict:
    """Crop one image, write its crops and return its manifest entry."""
    if img is None:
        return dict(image=rel, decision='unreadable', num_detected=0,
                    image_size=None, crops=[])
    try:
        decision, crops = crop_image(img, faces, settings)
    except NoFaceError:
        raise NoFaceError(f'{rel}: no face found (no_face=fail)') from None
    several = len(crops) > 1
    records = []
    for k, (crop, record) in enumerate(crops):
        name = crop_name(rel, k if several else None)
        write_image(out_dir / name, crop)
        records.append(dict(file=name, **record))
    return dict(image=rel, decision=decision, num_detected=len(faces),
                image_size=[img.shape[1], img.shape[0]], crops=records)


def remove_partial_files(out_dir: Path) -> None:
    """Delete the temporary files of writes that a killed run left behind
    (:func:`mmsde.utils.atomic.atomic_path` names them ``*.partial<pid>*``;
    a crop's final name only ever holds a complete file)."""
    stale = [p for p in out_dir.rglob('*.partial*')
             if PARTIAL.search(p.name)]
    for path in stale:
        path.unlink()
    if stale:
        print_log(f'removed {len(stale)} unfinished write(s) of an '
                  f'interrupted run in {out_dir}', logger='current')


def unpaired_images(entries: Dict[str, dict]) -> List[str]:
    """Images of an ``MSD-E/`` + ``MSD-ME/`` layout cropped on one side only
    (or listed on one side only)."""
    sides = {NON_MASKED_DIR: {}, MASKED_DIR: {}}
    for rel, entry in entries.items():
        parts = rel.split('/')
        for i, part in enumerate(parts):
            if part in sides:
                key = '/'.join(parts[:i] + ['*'] + parts[i + 1:])
                sides[part][key] = bool(entry['crops'])
                break
    nm, m = sides[NON_MASKED_DIR], sides[MASKED_DIR]
    if not nm or not m:
        return []
    out = []
    for key in sorted(set(nm) | set(m)):
        if nm.get(key, False) != m.get(key, False):
            have = NON_MASKED_DIR if nm.get(key) else MASKED_DIR
            out.append(f'{key} (a face only in {have})')
    return out


def crop_faces(src: Union[str, Path],
               out_dir: Union[str, Path],
               detector: Optional[FaceDetector] = None,
               settings: CropSettings = CropSettings(),
               batch_size: int = 8,
               progress: bool = True,
               names: Optional[Sequence[str]] = None) -> Dict:
    """Crop the faces of an image or a folder into ``out_dir``.

    Args:
        src: An image, or a folder searched recursively.
        out_dir: Output folder (created; an earlier run's folder resumes).
        detector: Defaults to the offline MTCNN :class:`FaceDetector`.
        settings: Crop size, margin, alignment and policies.
        batch_size: Images per detector call.
        progress: Show a progress bar.
        names: Crop only these images, relative to the folder ``src``
            (checked by the caller to lie inside it).

    Returns:
        Summary: counts per decision, crops written, images already done,
        unpaired images of a pair layout, seconds and photos/s.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    start = time.perf_counter()
    if names is None:
        root, names = list_images(Path(src))
    else:
        root, names = Path(src), list(dict.fromkeys(names))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    detector = detector or FaceDetector()
    write_settings(out_dir, settings.to_dict(), dict(config=Path(
        detector.config_name).name, checkpoint=None if detector.checkpoint
        is None else Path(detector.checkpoint).name))
    manifest = out_dir / MANIFEST
    entries = read_manifest(manifest, repair=True)
    remove_partial_files(out_dir)
    done = {rel for rel, e in entries.items()
            if all((out_dir / c['file']).is_file() for c in e['crops'])}
    todo = [rel for rel in names if rel not in done]
    bar = ProgressBar(len(todo)) if progress and todo else None
    for i in range(0, len(todo), batch_size):
        batch = todo[i:i + batch_size]
        imgs = [cv2.imread(str(root / rel), cv2.IMREAD_COLOR)
                for rel in batch]
        readable = [img for img in imgs if img is not None]
        found = iter(detector.detect(readable))
        for rel, img in zip(batch, imgs):
            faces = next(found) if img is not None else []
            entry = _process(rel, img, faces, out_dir, settings)
            append_entry(manifest, entry)
            entries[rel] = entry
            if bar:
                bar.update()
    return _summary(entries, names, len(names) - len(todo), out_dir,
                    time.perf_counter() - start, len(todo))


def _summary(entries: Dict[str, dict], names: List[str], done_before: int,
             out_dir: Path, seconds: float, processed: int) -> Dict:
    listed = [entries[rel] for rel in names]
    counts = {}
    for entry in listed:
        counts[entry['decision']] = counts.get(entry['decision'], 0) + 1
    unpaired = unpaired_images({e['image']: e for e in listed})
    if unpaired:
        (out_dir / UNPAIRED_FILE).write_text('\n'.join(unpaired) + '\n')
        print_log(f'{len(unpaired)} pair(s) have a face on one side only: '
                  f'see {out_dir / UNPAIRED_FILE}', logger='current')
    unreadable = [e['image'] for e in listed if e['decision'] == 'unreadable']
    if unreadable:
        print_log(f'{len(unreadable)} unreadable image(s), first: '
                  f'{unreadable[0]} (see the manifest)', logger='current')
    return dict(
        images=len(names),
        done_before=done_before,
        decisions=counts,
        crops=sum(len(e['crops']) for e in listed),
        unpaired=len(unpaired),
        out_dir=str(out_dir),
        manifest=str(out_dir / MANIFEST),
        seconds=round(seconds, 2),
        photos_per_s=round(processed / seconds, 2) if processed else None)
