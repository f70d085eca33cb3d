"""Labelled photos to a paired masked / non-masked MSD-E-style set in one
step: detect and align the faces (:func:`crop_faces`), then draw a synthetic
mask on each crop from the detector's landmarks
(:func:`mmsde.datasets.write_masked_pairs`)."""
from pathlib import Path
from typing import Dict, List, Optional, Union

from mmengine.fileio import LocalBackend
from mmengine.logging import print_log

from mmsde.datasets.checks import check_image, resolve_path
from mmsde.datasets.crop_manifest import (MANIFEST, landmarks_by_path,
                                          read_manifest)
from mmsde.datasets.msde_writer import read_face_list, write_masked_pairs
from mmsde.synthetic import MASK_STYLES
from mmsde.utils.face_crop import CropSettings

from .crop_faces import crop_faces
from .face_detection import FaceDetector

EXCLUDED_FILE = 'excluded.txt'


def photos_to_msde(photo_dir: Union[str, Path],
                   ann_file: Union[str, Path],
                   out_dir: Union[str, Path],
                   crop_dir: Optional[Union[str, Path]] = None,
                   detector: Optional[FaceDetector] = None,
                   settings: CropSettings = CropSettings(),
                   styles=MASK_STYLES,
                   seed: int = 0,
                   overwrite: bool = False,
                   batch_size: int = 8,
                   progress: bool = True) -> Dict:
    """Build an MSD-E layout (``MSD-E/``, ``MSD-ME/``, ``Paired_files.txt``)
    from labelled photos.

    Args:
        photo_dir: Folder the annotation's ``img_path`` are relative to.
        ann_file: Annotation (CSV with a header, JSON lines or 2.0 JSON) with
            ``img_path``, ``gt_label`` and optionally ``subject``.
        out_dir: Output root of the MSD-E layout.
        crop_dir: Where the crops and their manifest go (resumable);
            defaults to ``<out_dir>_crops``.
        detector, settings, batch_size, progress: As :func:`crop_faces`;
            ``settings.multi_face='all'`` is refused (one label per photo).
        styles, seed, overwrite: As
            :func:`mmsde.datasets.add_synthetic_masks`.

    Returns:
        Summary of the written set, with ``crop`` (the cropping summary) and
        ``excluded`` (photos without a face crop, listed in
        ``<out_dir>/excluded.txt``).
    """
    if settings.multi_face == 'all':
        raise ValueError("multi_face='all' would give one photo's label to "
                         "several faces; use 'largest' or 'confident'")
    entries = read_face_list(ann_file)
    crop_dir = Path(crop_dir or f'{Path(out_dir)}_crops')
    crop_summary = crop_faces_listed(photo_dir, entries, crop_dir, detector,
                                     settings, batch_size, progress)
    manifest = read_manifest(crop_dir / MANIFEST)
    kept, excluded = [], []
    for entry in entries:
        record = manifest[Path(entry['img_path']).as_posix()]
        if not record['crops']:
            excluded.append(f'{entry["source"]}: {entry["img_path"]} '
                            f'({record["decision"]})')
            continue
        crop = record['crops'][0]
        kept.append(dict(entry, img_path=crop['file']))
    if not kept:
        raise ValueError(f'no face was found in any photo of {ann_file}')
    summary = write_masked_pairs(
        crop_dir, kept, out_dir, styles, seed, overwrite,
        landmarks_by_path(manifest, crop_dir.resolve()))
    if excluded:
        (Path(out_dir) / EXCLUDED_FILE).write_text('\n'.join(excluded) + '\n')
        print_log(f'{len(excluded)} photo(s) without a face crop left out: '
                  f'see {Path(out_dir) / EXCLUDED_FILE}', logger='current')
    return dict(summary, crop=crop_summary, excluded=len(excluded))


def crop_faces_listed(photo_dir: Union[str, Path], entries: List[dict],
                      crop_dir: Path, detector: Optional[FaceDetector],
                      settings: CropSettings, batch_size: int,
                      progress: bool) -> Dict:
    """:func:`crop_faces` on the listed photos only."""
    backend = LocalBackend()
    root = resolve_path(str(photo_dir), backend)
    for entry in entries:  # inside the folder and readable, before any work
        check_image(str(Path(photo_dir) / entry['img_path']), root, backend,
                    entry['source'])
    names = [Path(e['img_path']).as_posix() for e in entries]
    return crop_faces(photo_dir, crop_dir, detector, settings, batch_size,
                      progress, names=names)
