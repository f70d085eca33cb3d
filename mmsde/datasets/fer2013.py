"""FER2013 from its Kaggle CSV, relabelled to RAF-DB order."""
import os.path as osp
import warnings
from typing import Dict, List, Tuple

import numpy as np
from mmpretrain.registry import DATASETS

from .annotation import csv_header, row_dict
from .base import MaskedFERBaseDataset
from .checks import DataEntryError, parse_index
from .records import FERRecord

# FER2013 classes: 0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise,
# 6 Neutral. Entry i is the index of FER2013 class i in FER_CLASSES.
FER2013_TO_FER_CLASSES = (5, 2, 1, 3, 4, 0, 6)
FER2013_USAGE = {'Training': 'train', 'PublicTest': 'val',
                 'PrivateTest': 'test'}
FER2013_SIZE = 48


def decode_pixels(pixels: str, source: str) -> np.ndarray:
    """Decode a FER2013 pixel string to a 48x48 grey image.

    Args:
        pixels (str): 2304 space-separated integers in 0..255.
        source (str): ``'<csv>:<line>'``, for the message.

    Returns:
        np.ndarray: uint8 array of shape (48, 48).

    Raises:
        DataEntryError: On a non-integer, out-of-range or missing value.
    """
    size = FER2013_SIZE * FER2013_SIZE
    try:
        with warnings.catch_warnings():
            # numpy warns (here: raises) when text does not parse to the end
            warnings.simplefilter('error', DeprecationWarning)
            values = np.fromstring(pixels, dtype=np.int16, sep=' ')
    except (ValueError, DeprecationWarning):
        raise DataEntryError(f'{source}: pixels are not space-separated '
                             'integers') from None
    if values.size != size:
        raise DataEntryError(f'{source}: {values.size} pixel values, expected '
                             f'{size} ({FER2013_SIZE}x{FER2013_SIZE})')
    if values.min() < 0 or values.max() > 255:
        raise DataEntryError(f'{source}: pixel values must be in 0..255')
    return values.astype(np.uint8).reshape(FER2013_SIZE, FER2013_SIZE)


def parse_fer2013_row(row: Dict[str, str], source: str) -> Tuple[int, str]:
    """Label (in FER_CLASSES order) and split of one FER2013 row.

    Args:
        row (dict): The ``emotion``, ``pixels`` and ``Usage`` fields.
        source (str): ``'<csv>:<line>'``, for the message.

    Returns:
        tuple[int, str]: Class index and ``'train'``/``'val'``/``'test'``.
    """
    emotion = row['emotion']
    index = parse_index(emotion)
    if index is None or index >= len(FER2013_TO_FER_CLASSES):
        raise DataEntryError(f'{source}: emotion {emotion!r} is not a '
                             'FER2013 class index 0..6')
    if row['Usage'] not in FER2013_USAGE:
        raise DataEntryError(f"{source}: Usage {row['Usage']!r} is not one "
                             f'of {list(FER2013_USAGE)}')
    return FER2013_TO_FER_CLASSES[index], FER2013_USAGE[row['Usage']]


@DATASETS.register_module()
class FER2013(MaskedFERBaseDataset):
    """FER2013 from ``fer2013.csv`` (Kaggle ICML 2013 challenge).

    `FER2013 <https://www.kaggle.com/datasets/deadskull7/fer2013>`_ is one
    CSV, header ``emotion,pixels,Usage``, one 48x48 grey face per row: ::

        data_root
        └── fer2013.csv

    Labels are remapped from FER2013's order (Angry, Disgust, Fear, Happy,
    Sad, Surprise, Neutral) to :data:`~mmsde.utils.classes.FER_CLASSES`.
    ``Usage`` Training / PublicTest / PrivateTest is the native split
    ``'train'`` / ``'val'`` / ``'test'``. All faces are non-masked; FER2013
    has no identities, so ``subject`` and ``pair_id`` are ``'fer2013_<line>'``.

    Samples carry the decoded image in ``img`` (uint8, HxWx3, BGR with the
    grey value repeated) and ``img_path='fer2013.csv:<line>'``; pipelines
    start without ``LoadImageFromFile``, like MMPretrain's MNIST. Images are
    stored as 48x48 grey and expanded on access to keep memory low.

    Args:
        data_root (str): Folder holding the CSV.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
            Defaults to ``'train'``.
        ann_file (str): The CSV. Defaults to ``'fer2013.csv'``.
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`; its
            ``fold`` (default None: the native split) makes image-level
            folds, as FER2013 has no identities.
    """

    REQUIRED_COLUMNS = ('emotion', 'pixels', 'Usage')

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'fer2013.csv',
                 **kwargs):
        super().__init__(
            data_root=data_root,
            views='non_masked',
            ann_file=ann_file,
            **kwargs)

    def load_records(self) -> List[FERRecord]:
        """One record per CSV row, pixels decoded.

        The file holds no quoted commas, so rows are split on ``,`` directly:
        several times faster than the ``csv`` module on its 8 kB rows.

        Returns:
            list[FERRecord]: All records of the dataset.
        """
        lines = enumerate(self._read_ann_text().splitlines(), start=1)
        rows = ((n, [f.strip().strip('"') for f in line.split(',')])
                for n, line in lines if line.strip())
        self._columns = csv_header(rows, self.ann_file, self.REQUIRED_COLUMNS)
        return self._guard(rows, self._parse_row)

    def _parse_row(self, row: Tuple[int, List[str]]) -> List[FERRecord]:
        """Record of one CSV row ``(line number, fields)``."""
        lineno, fields = row
        source = f'{self.ann_file}:{lineno}'
        values = row_dict(self._columns, fields, source)
        label, split = parse_fer2013_row(values, source)
        return [
            FERRecord(
                img_path=f'{osp.basename(self.ann_file)}:{lineno}',
                gt_label=label,
                masked=False,
                subject=f'fer2013_{lineno}',
                pair_id=f'fer2013_{lineno}',
                split=split,
                source=source,
                img=decode_pixels(values['pixels'], source))
        ]

    def get_data_info(self, idx: int) -> dict:
        """Data info with the grey image expanded to 3-channel BGR.

        Args:
            idx (int): Sample index.

        Returns:
            dict: The sample, ``img`` of shape (48, 48, 3).
        """
        info = super().get_data_info(idx)
        info['img'] = np.repeat(info['img'][..., None], 3, axis=2)
        return info
