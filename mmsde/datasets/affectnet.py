"""AffectNet (its manually annotated part) from the official CSV lists,
optionally with masked copies."""
import math
import os.path as osp
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

from mmsde.utils.classes import fer_classes
from mmsde.utils.landmarks import landmarks_68_to_5

from .annotation import csv_header, csv_rows, row_dict
from .base import MaskedFERBaseDataset
from .checks import DataEntryError, parse_index
from .records import FERRecord, image_folders

AFFECTNET_COLUMNS = ('subDirectory_filePath', 'face_x', 'face_y',
                     'face_width', 'face_height', 'facial_landmarks',
                     'expression', 'valence', 'arousal')
#: AffectNet's expression codes 0..10; 8-10 are not expressions.
AFFECTNET_CODES = ('Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust',
                   'Anger', 'Contempt', 'None', 'Uncertain', 'No-Face')
#: Entry i: the mmsde label (FER_CLASSES_8 order) of AffectNet code i.
AFFECTNET_TO_FER_CLASSES = (6, 3, 4, 0, 1, 2, 5, 7)


@dataclass(frozen=True)
class AffectNetRow:
    """One row of an AffectNet list: the image (relative to the image
    folder), its face box ``(x, y, w, h)``, its 68 landmarks ``(68, 2)`` in
    image pixels (None where the row has none), the expression code 0..10,
    valence and arousal."""
    img_rel: str
    box: Tuple[float, float, float, float]
    landmarks: Optional[np.ndarray]
    expression: int
    valence: float
    arousal: float


def parse_number(text: str, name: str, source: str) -> float:
    """A finite float, or a DataEntryError naming the column."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataEntryError(f'{source}: {name} {text!r} is not a number')
    return value


def parse_landmarks(text: str, source: str) -> Optional[np.ndarray]:
    """68 ``x;y`` pairs as written by AffectNet (136 values joined by
    ``;``), or None for an empty field."""
    if not text.strip():
        return None
    values = [parse_number(v, 'a landmark', source)
              for v in text.strip().strip(';').split(';')]
    if len(values) != 136:
        raise DataEntryError(f'{source}: facial_landmarks has {len(values)}'
                             ' values, expected 136 (68 x;y pairs)')
    return np.asarray(values, np.float32).reshape(68, 2)


def parse_affectnet_row(values: dict, source: str) -> AffectNetRow:
    """One AffectNet row (a dict of :data:`AFFECTNET_COLUMNS`), checked."""
    rel = values['subDirectory_filePath'].replace('\\', '/')
    if not rel or rel.startswith('/') or '..' in rel.split('/'):
        raise DataEntryError(f'{source}: subDirectory_filePath {rel!r} must '
                             'be a relative path inside the image folder')
    box = tuple(parse_number(values[k], k, source)
                for k in AFFECTNET_COLUMNS[1:5])
    if min(box) < 0:
        raise DataEntryError(f'{source}: the face box {box} has a negative '
                             'value')
    code = parse_index(values['expression'])
    if code is None or code >= len(AFFECTNET_CODES):
        raise DataEntryError(f'{source}: expression {values["expression"]!r}'
                             ' is not an AffectNet code 0..10')
    return AffectNetRow(
        rel, box, parse_landmarks(values['facial_landmarks'], source), code,
        parse_number(values['valence'], 'valence', source),
        parse_number(values['arousal'], 'arousal', source))


def read_affectnet_list(text: str, path: str
                        ) -> Iterator[Tuple[str, AffectNetRow]]:
    """``(source, row)`` of every data row of an AffectNet CSV list; the
    header must hold :data:`AFFECTNET_COLUMNS`."""
    rows = csv_rows(text.lstrip('\ufeff'), path)
    names = csv_header(rows, path, AFFECTNET_COLUMNS)
    for lineno, fields in rows:
        source = f'{path}:{lineno}'
        yield source, parse_affectnet_row(row_dict(names, fields, source),
                                          source)


@DATASETS.register_module()
class AffectNet(MaskedFERBaseDataset):
    """AffectNet, the manually annotated images, in the official layout.

    `AffectNet <http://mohammadmahoor.com/affectnet/>`_ after download: ::

        data_root
        ├── Manually_Annotated_file_lists
        │   ├── training.csv      # subDirectory_filePath, face_x, face_y,
        │   └── validation.csv    # face_width, face_height,
        │                         # facial_landmarks (68 x;y), expression,
        │                         # valence, arousal
        ├── Manually_Annotated_Images
        │   └── 689/737db24....jpg
        └── <masked_dir>          # optional masked copies, same sub-paths
            └── 689/737db24....jpg

    Expression codes 0-7 (Neutral, Happy, Sad, Surprise, Fear, Disgust,
    Anger, Contempt) map to :data:`~mmsde.utils.classes.FER_CLASSES_8`;
    the 7-class setting leaves Contempt out. Codes 8-10 (None, Uncertain,
    No-Face) are no expressions and are left out too. Every row left out
    is counted by its code name in ``excluded`` and logged, never dropped
    silently. As in AffectNet papers, the official validation set is the
    test set: ``training.csv`` gives split ``'train'``, ``validation.csv``
    split ``'test'``. AffectNet has no identities: ``subject`` and
    ``pair_id`` are the image path without extension, and folds would be
    image level (use the native split). Training sets of AffectNet are
    imbalanced (Happy is about 40%): papers sample classes evenly, which
    the config gets with ``sampler=dict(type='ClassBalancedSampler')``.

    The rows' face boxes and landmarks are kept in ``rows`` (by
    ``pair_id``) for the masking tool.

    Args:
        data_root (str): The dataset root, laid out as above.
        ann_file (str): The training list.
        test_file (str): The validation list, used as the test split.
        img_dir (str): The image folder.
        num_classes (int): 7, or 8 with Contempt. Defaults to 7.
        masked_dir (str, optional): Folder of masked copies under the same
            sub-paths; each copy is the masked side of a pair.
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'Manually_Annotated_file_lists/training.csv',
                 test_file: str = ('Manually_Annotated_file_lists/'
                                   'validation.csv'),
                 img_dir: str = 'Manually_Annotated_Images',
                 num_classes: int = 7,
                 masked_dir: Optional[str] = None,
                 views: str = 'both',
                 **kwargs):
        classes = fer_classes(num_classes)
        if masked_dir is None and views in ('masked', 'paired'):
            raise ValueError(f'AffectNet: views={views!r} needs masked '
                             'images: set masked_dir to a folder of masked '
                             'copies')
        self.test_file, self.img_dir = test_file, img_dir
        self.masked_dir = masked_dir
        self.excluded: Counter = Counter()
        self.rows = {}
        kwargs.setdefault('metainfo', dict(classes=classes))
        super().__init__(data_root=data_root, ann_file=ann_file, views=views,
                         **kwargs)

    def load_records(self) -> List[FERRecord]:
        """Records of both lists, the rows left out counted."""
        self.excluded.clear()
        self.rows.clear()
        test_path = self.backend.join_path(self.data_root, self.test_file)
        if not self.backend.exists(test_path):
            raise FileNotFoundError(
                f'AffectNet: test list {test_path} not found (data_root='
                f'{self.data_root})')
        lists = [(self.ann_file, self._read_ann_text(), 'train'),
                 (test_path, self.backend.get_text(test_path), 'test')]
        records = []
        for path, text, split in lists:
            rows = read_affectnet_list(text, osp.basename(path))
            records += self._guard(
                rows, lambda item, split=split: self._records(item, split))
        if self.excluded:
            MMLogger.get_current_instance().info(
                f'AffectNet: rows left out by expression code: '
                f'{dict(self.excluded)}')
        return records

    def _records(self, item: Tuple[str, AffectNetRow],
                 split: str) -> List[FERRecord]:
        """The records of one row: none for a code outside the classes."""
        source, row = item
        if row.expression >= len(self.CLASSES):  # 7 is Contempt, 8-10 none
            self.excluded[AFFECTNET_CODES[row.expression]] += 1
            return []
        key = osp.splitext(row.img_rel)[0]
        self.rows[key] = row
        folders = image_folders(self.img_dir, self.masked_dir)
        return [
            FERRecord(
                img_path=self.backend.join_path(self.data_root, folder,
                                                row.img_rel),
                gt_label=AFFECTNET_TO_FER_CLASSES[row.expression],
                masked=masked, subject=key, pair_id=key, split=split,
                source=source) for folder, masked in folders
        ]

    def face_landmarks(self, pair_id: str) -> Optional[np.ndarray]:
        """The 5 landmarks ``(5, 2)`` of an image from its row's 68 (None
        where the row has none): what the masking tool prefers."""
        row = self.rows.get(pair_id)
        if row is None or row.landmarks is None:
            return None
        return landmarks_68_to_5(row.landmarks)
