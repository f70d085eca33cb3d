"""WIDER FACE in the VOC layout that MMDetection's ``WIDERFaceDataset`` reads.

WIDER FACE (http://shuoyang1213.me/WIDERFACE/) ships its images under
``WIDER_<split>/images/<event>/<name>.jpg`` and its boxes in
``wider_face_split/wider_face_<split>_bbx_gt.txt``: per image a file-name
line, a count line, then ``count`` lines of
``x1 y1 w h blur expression illumination invalid occlusion pose`` (a count
of 0 is followed by one line of zeros). MMDetection's ``WIDERFaceDataset``
reads instead, under ``data_root``:

- ``<split>.txt``: one image ID per line (the file name without ``.jpg``);
- ``WIDER_<split>/Annotations/<ID>.xml``: a VOC annotation whose
  ``<folder>`` is the image's folder relative to ``WIDER_<split>``
  (``images/<event>``, so the official folders are used as unzipped), with
  ``<size>`` and one ``<object>`` (``name`` ``face``, ``difficult``,
  ``bndbox``) per face; the image is ``WIDER_<split>/<folder>/<ID>.jpg``.

Here: :func:`convert_wider_face` converts the official annotations,
:func:`generate_face_scenes` writes the generated scenes of
:mod:`mmsde.synthetic.scenes` in the same layout. Files are written
atomically, the ID list last, so a reader never sees half a set.
"""
import os.path as osp
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from mmsde.synthetic.scenes import render_scene
from mmsde.utils.atomic import atomic_path

from .checks import DataEntryError, check_min_ints

#: Splits of WIDER FACE and their ``WIDER_<split>`` image folders.
WIDER_SPLITS = ('train', 'val')
ANNOTATIONS_DIR = 'Annotations'
#: The 6 attributes after ``x1 y1 w h`` on a WIDER FACE box line.
WIDER_ATTRIBUTES = ('blur', 'expression', 'illumination', 'invalid',
                    'occlusion', 'pose')
#: The ``<event>`` folder of generated scenes.
SCENE_EVENT = '0--Synthetic'


def split_dir(split: str) -> str:
    """``WIDER_<split>``, the image folder of a split."""
    if split not in WIDER_SPLITS:
        raise ValueError(f'split must be one of {WIDER_SPLITS}, got '
                         f'{split!r}')
    return f'WIDER_{split}'


def parse_wider_face_txt(path: Union[str, Path]) -> List[Dict]:
    """Read an official ``wider_face_<split>_bbx_gt.txt``.

    Args:
        path (str | Path): The annotation file.

    Returns:
        list[dict]: Per image, in file order: ``file_name`` (e.g.
        ``'0--Parade/0_Parade_marchingband_1_5.jpg'``), ``boxes`` (``(N,
        4)`` float ``x1, y1, w, h``) and ``attributes`` (``(N, 6)`` int, see
        :data:`WIDER_ATTRIBUTES`). A count of 0 gives ``N = 0`` (its line of
        zeros is read and dropped).

    Raises:
        DataEntryError: A missing, non-numeric or short line, naming the
            file and the line number.
    """
    path = str(path)
    with open(path, encoding='utf-8') as f:
        lines = [line.strip() for line in f]
    while lines and not lines[-1]:
        lines.pop()
    images, i = [], 0

    def where(n: int) -> str:
        return f'{path}, line {n + 1}'

    while i < len(lines):
        name = lines[i]
        if not name.lower().endswith(('.jpg', '.jpeg', '.png')):
            raise DataEntryError(f'{where(i)}: expected an image file name '
                                 f'(.jpg), got {name!r}')
        if i + 1 >= len(lines) or not lines[i + 1].isdigit():
            got = lines[i + 1] if i + 1 < len(lines) else 'end of file'
            raise DataEntryError(f'{where(i + 1)}: expected the face count of '
                                 f'{name}, got {got!r}')
        count = int(lines[i + 1])
        rows = []
        for n in range(i + 2, i + 2 + max(count, 1)):
            if n >= len(lines):
                raise DataEntryError(
                    f'{where(n)}: {name} declares {count} faces but the '
                    'file ends')
            parts = lines[n].split()
            try:
                values = [float(v) for v in parts]
            except ValueError:
                values = []
            if len(values) != 10 or not np.all(np.isfinite(values)):
                raise DataEntryError(
                    f'{where(n)}: expected 10 numbers (x1 y1 w h blur '
                    'expression illumination invalid occlusion pose) for '
                    f'{name}, got {lines[n]!r}')
            rows.append(values)
        rows = np.array(rows[:count], np.float64).reshape(-1, 10)
        images.append(dict(file_name=name, boxes=rows[:, :4],
                           attributes=rows[:, 4:].astype(np.int64)))
        i += 2 + max(count, 1)
    return images


def voc_boxes(boxes: np.ndarray, attributes: np.ndarray, width: int,
              height: int) -> Tuple[np.ndarray, np.ndarray]:
    """WIDER ``x1, y1, w, h`` boxes as VOC ``x1, y1, x2, y2`` objects.

    Boxes are clipped to the image; boxes empty after clipping (``w`` or
    ``h`` <= 0, e.g. WIDER's degenerate entries) are dropped; boxes flagged
    ``invalid`` are kept as ``difficult`` (MMDetection then ignores them in
    training and evaluation, ``ignore_flag=1``).

    Args:
        boxes (np.ndarray): ``(N, 4)`` ``x1, y1, w, h``.
        attributes (np.ndarray): ``(N, 6)``, see :data:`WIDER_ATTRIBUTES`.
        width (int): Image width.
        height (int): Image height.

    Returns:
        tuple: ``(xyxy, difficult)``: ``(M, 4)`` int boxes and ``(M,)`` bool.
    """
    xyxy = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1)
    xyxy = np.round(xyxy).clip(0, [width, height, width, height])
    keep = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
    invalid = attributes[:, WIDER_ATTRIBUTES.index('invalid')] != 0
    return xyxy[keep].astype(np.int64), invalid[keep]


def _sub(parent: ET.Element, tag: str, text=None) -> ET.Element:
    elem = ET.SubElement(parent, tag)
    if text is not None:
        elem.text = str(text)
    return elem


def write_voc_xml(path: Union[str, Path], folder: str, file_name: str,
                  width: int, height: int, boxes: np.ndarray,
                  difficult: Sequence[bool] = None) -> None:
    """Write one VOC annotation of faces, atomically.

    Args:
        path (str | Path): The ``.xml`` file.
        folder (str): The image's folder relative to ``WIDER_<split>``.
        file_name (str): The image's file name.
        width (int): Image width.
        height (int): Image height.
        boxes (np.ndarray): ``(N, 4)`` ``x1, y1, x2, y2`` pixel boxes.
        difficult (Sequence[bool], optional): Per box; defaults to all False.
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    difficult = np.zeros(len(boxes), bool) if difficult is None \
        else np.asarray(difficult, bool)
    root = ET.Element('annotation')
    _sub(root, 'folder', folder)
    _sub(root, 'filename', file_name)
    size = _sub(root, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        _sub(size, tag, int(value))
    for box, hard in zip(boxes, difficult):
        obj = _sub(root, 'object')
        _sub(obj, 'name', 'face')
        _sub(obj, 'difficult', int(hard))
        bnd = _sub(obj, 'bndbox')
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), box):
            _sub(bnd, tag, int(value))
    ET.indent(root)
    with atomic_path(str(path)) as tmp:
        ET.ElementTree(root).write(tmp, encoding='utf-8',
                                   xml_declaration=False)


def write_id_list(path: Union[str, Path], img_ids: Sequence[str]) -> None:
    """Write the image-ID list of a split (one ID per line), atomically."""
    with atomic_path(str(path)) as tmp:
        with open(tmp, 'w', newline='\n') as f:
            f.writelines(f'{i}\n' for i in img_ids)


def convert_wider_face(ann_file: Union[str, Path],
                       data_root: Union[str, Path],
                       split: str = 'train') -> Dict:
    """Convert an official WIDER FACE box file to the VOC layout.

    The images stay where they were unzipped
    (``<data_root>/WIDER_<split>/images/<event>/``); the XML files go to
    ``<data_root>/WIDER_<split>/Annotations/`` and the ID list to
    ``<data_root>/<split>.txt``. Box handling: see :func:`voc_boxes`.

    Args:
        ann_file (str | Path): ``wider_face_<split>_bbx_gt.txt``.
        data_root (str | Path): The root holding ``WIDER_<split>/images``.
        split (str): ``'train'`` or ``'val'``.

    Returns:
        dict: ``list_file``, ``num_images``, ``num_faces`` (written),
        ``num_difficult`` (of those, ``invalid``) and ``num_dropped``.

    Raises:
        DataEntryError: A malformed annotation line, an image that is
            missing, or two images with the same ID.
        FileNotFoundError: ``ann_file`` does not exist.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'WIDER FACE annotation file not found: '
                                f'{ann_file}')
    images = parse_wider_face_txt(ann_file)
    root = Path(data_root) / split_dir(split)
    ids, seen = [], {}
    faces = difficult_total = dropped = 0
    for entry in images:
        rel = Path('images') / entry['file_name']
        img_id = rel.stem
        if img_id in seen:
            raise DataEntryError(
                f'{ann_file}: {entry["file_name"]} and {seen[img_id]} share '
                f'the image ID {img_id!r} (WIDERFaceDataset needs unique '
                'file names)')
        seen[img_id] = entry['file_name']
        img_path = root / rel
        try:
            with Image.open(img_path) as img:
                width, height = img.size
        except FileNotFoundError:
            raise DataEntryError(f'{ann_file}: image {img_path} of '
                                 f'{entry["file_name"]} not found') from None
        boxes, hard = voc_boxes(entry['boxes'], entry['attributes'], width,
                                height)
        write_voc_xml(root / ANNOTATIONS_DIR / f'{img_id}.xml',
                      rel.parent.as_posix(), rel.name, width, height, boxes,
                      hard)
        ids.append(img_id)
        faces += len(boxes)
        difficult_total += int(hard.sum())
        dropped += len(entry['boxes']) - len(boxes)
    list_file = Path(data_root) / f'{split}.txt'
    write_id_list(list_file, ids)
    return dict(list_file=str(list_file), num_images=len(ids),
                num_faces=faces, num_difficult=difficult_total,
                num_dropped=dropped)


def generate_face_scenes(out_dir: Union[str, Path],
                         num_scenes: int = 32,
                         img_size: Union[int, Tuple[int, int]] = 160,
                         seed: int = 0,
                         split: str = 'train',
                         num_faces: Tuple[int, int] = (0, 3),
                         face_size: Tuple[float, float] = (0.15, 0.6),
                         overwrite: bool = False) -> Dict:
    """Write generated detection scenes in WIDER FACE's VOC layout.

    ``<out_dir>/<split>.txt`` lists the IDs ``scene_<index:05d>``,
    ``<out_dir>/WIDER_<split>/images/0--Synthetic/<ID>.jpg`` holds the
    images (JPEG quality 95: ``WIDERFaceDataset`` reads ``<ID>.jpg``) and
    ``<out_dir>/WIDER_<split>/Annotations/<ID>.xml`` the boxes. Scene
    ``index`` is :func:`~mmsde.synthetic.scenes.render_scene` ``(seed,
    index, ...)``; the same arguments give the same files.

    Args:
        out_dir (str | Path): The dataset root (``data_root`` of a config).
        num_scenes (int): Number of scenes. Defaults to 32.
        img_size (int | tuple): Side, or ``(width, height)``. Defaults to
            160.
        seed (int): Seed. Defaults to 0.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        num_faces (tuple): Inclusive range of faces per scene.
        face_size (tuple): Range of a face crop's side as a fraction of the
            shorter image side.
        overwrite (bool): Replace an existing set of this split.

    Returns:
        dict: ``root``, ``list_file``, ``num_scenes``, ``num_faces``,
        ``seconds`` and ``scenes``: per scene a dict with ``img_id``,
        ``img_path``, ``xml_path``, ``width``, ``height``, ``bboxes``
        (``(N, 4)`` float32 ``x1, y1, x2, y2``, as written to the XML),
        ``landmarks`` (``(N, 5, 2)`` float32), ``expressions`` and
        ``subjects`` (``(N,)`` int64).

    Raises:
        FileExistsError: The split's files exist and not ``overwrite``.
    """
    check_min_ints(('num_scenes', num_scenes, 1), ('seed', seed, 0))
    start = time.perf_counter()
    root = Path(out_dir)
    img_root = root / split_dir(split)
    list_file = root / f'{split}.txt'
    if img_root.exists() or list_file.exists():
        if not overwrite:
            raise FileExistsError(
                f'{img_root} or {list_file} exists; use overwrite to '
                'replace them')
        list_file.unlink(missing_ok=True)
        shutil.rmtree(img_root, ignore_errors=True)
    folder = f'images/{SCENE_EVENT}'
    (img_root / folder).mkdir(parents=True)
    (img_root / ANNOTATIONS_DIR).mkdir()
    scenes = []
    for index in range(num_scenes):
        scene = render_scene(seed, index, img_size, num_faces, face_size)
        img_id = f'scene_{index:05d}'
        img_path = img_root / folder / f'{img_id}.jpg'
        xml_path = img_root / ANNOTATIONS_DIR / f'{img_id}.xml'
        with atomic_path(str(img_path)) as tmp:
            if not cv2.imwrite(tmp, scene.img,
                               [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise OSError(f'could not write image {img_path}')
        height, width = scene.img.shape[:2]
        write_voc_xml(xml_path, folder, img_path.name, width, height,
                      scene.bboxes)
        scenes.append(dict(img_id=img_id, img_path=str(img_path),
                           xml_path=str(xml_path), width=width,
                           height=height, bboxes=scene.bboxes,
                           landmarks=scene.landmarks,
                           expressions=scene.expressions,
                           subjects=scene.subjects))
    write_id_list(list_file, [s['img_id'] for s in scenes])
    return dict(root=str(root), list_file=str(list_file),
                num_scenes=num_scenes,
                num_faces=sum(len(s['bboxes']) for s in scenes),
                seconds=round(time.perf_counter() - start, 2),
                scenes=scenes)
