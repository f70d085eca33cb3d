"""FERPlus: FER2013's faces relabelled by ten annotators each."""
import os.path as osp
from collections import Counter
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmengine.utils import is_abs
from mmpretrain.registry import DATASETS

from mmsde.utils.classes import fer_classes

from .annotation import csv_header, row_dict
from .base import MaskedFERBaseDataset
from .checks import DataEntryError, check_choice, parse_index
from .fer2013 import FER2013_USAGE, decode_pixels
from .records import FERRecord

#: The vote columns of ``fer2013new.csv``, in file order.
FERPLUS_VOTES = ('neutral', 'happiness', 'surprise', 'sadness', 'anger',
                 'disgust', 'fear', 'contempt', 'unknown', 'NF')
#: Entry i is the index in ``FER_CLASSES_8`` of emotion column i (the first
#: eight columns of :data:`FERPLUS_VOTES`).
FERPLUS_TO_FER_CLASSES = (6, 3, 0, 4, 5, 2, 1, 7)
LABEL_MODES = ('majority', 'probability', 'crossentropy')
#: Why a row is left out; the keys of :attr:`FERPlus.excluded`.
EXCLUSION_REASONS = ('no image name', 'no votes', 'no majority', 'unknown',
                     'not a face', 'unknown or not a face')
_CONTEMPT, _UNKNOWN, _NOT_FACE = (FERPLUS_VOTES.index(c)
                                  for c in ('contempt', 'unknown', 'NF'))


def parse_votes(row: Dict[str, str], source: str) -> List[int]:
    """The ten vote counts of a ``fer2013new.csv`` row.

    Args:
        row (dict): The row, by column name.
        source (str): ``'<csv>:<line>'``, for the message.

    Returns:
        list[int]: The counts in :data:`FERPLUS_VOTES` order.

    Raises:
        DataEntryError: On a count that is not a non-negative integer.
    """
    votes = []
    for column in FERPLUS_VOTES:
        count = parse_index(row[column])
        if count is None:
            raise DataEntryError(f'{source}: {column} votes {row[column]!r} '
                                 'are not a non-negative integer')
        votes.append(count)
    return votes


def ferplus_target(votes: Sequence[int], num_classes: int,
                   label_mode: str) -> Tuple[Optional[np.ndarray], str]:
    """The training target of one row's votes, or why it has none.

    As in the FERPlus paper: with 7 classes the contempt votes are dropped
    first; then a single vote for a column is noise and counts as none.
    ``'majority'`` keeps the column with more than half of the remaining
    votes, unless it is ``unknown`` or ``NF``. ``'probability'`` and
    ``'crossentropy'`` keep the distribution of the remaining votes over
    the emotions, unless ``unknown`` and ``NF`` together hold more than
    half of them.

    Args:
        votes (Sequence[int]): The ten counts, :data:`FERPLUS_VOTES` order.
        num_classes (int): 7 (no Contempt) or 8.
        label_mode (str): One of :data:`LABEL_MODES`.

    Returns:
        tuple: ``(target, '')``, ``target`` a float32 distribution over the
        classes in ``FER_CLASSES_8`` order (one-hot for ``'majority'``), or
        ``(None, reason)`` with a reason of :data:`EXCLUSION_REASONS`.
    """
    votes = list(votes)
    if num_classes == 7:
        votes[_CONTEMPT] = 0
    votes = [0 if count == 1 else count for count in votes]
    total = sum(votes)
    if not total:
        return None, 'no votes'
    if label_mode == 'majority':
        top = max(range(len(votes)), key=votes.__getitem__)
        if 2 * votes[top] <= total:
            return None, 'no majority'
        if top == _UNKNOWN:
            return None, 'unknown'
        if top == _NOT_FACE:
            return None, 'not a face'
        emotions = [int(column == top) for column in range(_UNKNOWN)]
    else:
        if 2 * (votes[_UNKNOWN] + votes[_NOT_FACE]) > total:
            return None, 'unknown or not a face'
        emotions = votes[:_UNKNOWN]
    # integer counts: exact, however large
    emotion_total = sum(emotions)
    target = np.zeros(num_classes, dtype=np.float32)
    for column, count in enumerate(emotions):
        if count:
            target[FERPLUS_TO_FER_CLASSES[column]] = count / emotion_total
    return target, ''


@DATASETS.register_module()
class FERPlus(MaskedFERBaseDataset):
    """FERPlus: the faces of FER2013 with ten crowd-sourced votes each.

    `FERPlus <https://github.com/microsoft/FERPlus>`_ (Barsoum et al. 2016,
    "Training deep networks for facial expression recognition with
    crowd-sourced label distribution") ships ``fer2013new.csv``, header
    ``Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,
    fear,contempt,unknown,NF``: one row per row of FER2013's
    ``fer2013.csv``, in the same order, whose pixels it labels: ::

        data_root
        ├── fer2013.csv        # emotion,pixels,Usage (the pixels)
        ├── fer2013new.csv     # Usage,Image name,<10 vote counts>
        └── <masked_dir>       # optional masked copies
            ├── fer0000000.png
            └── ...

    Rows whose ``Image name`` is empty (not faces) are left out. The vote
    columns map to :data:`~mmsde.utils.classes.FER_CLASSES_8`: neutral ->
    Neutral (6), happiness -> Happiness (3), surprise -> Surprise (0),
    sadness -> Sadness (4), anger -> Anger (5), disgust -> Disgust (2),
    fear -> Fear (1), contempt -> Contempt (7). ``label_mode`` picks the
    paper's training scheme (see :func:`ferplus_target`):

    - ``'majority'``: the majority label (``gt_label``).
    - ``'crossentropy'`` (CEL): ``gt_score``, the vote distribution, which
      ``PackInputs`` packs and ``CrossEntropyLoss(use_soft=True)`` fits;
      ``gt_label`` is its most voted class.
    - ``'probability'`` (PLD): ``gt_label`` drawn from the vote
      distribution at every access (NumPy's global generator, which
      MMEngine seeds per worker); the distribution is in ``label_dist``,
      not ``gt_score``: MMPretrain's heads train on ``gt_score`` when a
      sample has one, which would make this CEL.

    Rows left out by the label rule are counted by reason (whole file, all
    splits) in :attr:`excluded` and logged; nothing is dropped silently.
    The paper tests on majority labels: build val/test sets with
    ``label_mode='majority'``, whatever the training mode.

    ``Usage`` Training / PublicTest / PrivateTest is the native split
    ``'train'`` / ``'val'`` / ``'test'``. The non-masked samples carry the
    decoded image in ``img`` (uint8, 48x48x3 BGR) and
    ``img_path='fer2013.csv:<line>'``, like :class:`FER2013`; with
    ``masked_dir``, each kept row also has a masked sample
    ``<data_root>/<masked_dir>/<Image name>`` to load from file. A paired
    sample has ``img=[non_masked, None]`` beside its two paths. Pipelines
    start with ``LoadFaceImage`` (single views: it uses ``img`` when the
    sample has it and reads the file otherwise) or ``LoadImagePair``
    (``views='paired'``), not with ``LoadImageFromFile``. FERPlus has no
    identities: ``subject`` and ``pair_id`` are the image name stem
    (``'fer0000000'``) and folds (``fold`` set) split images.

    Args:
        data_root (str): Folder holding the two CSVs.
        ann_file (str): The votes. Defaults to ``'fer2013new.csv'``.
        pixels_file (str): FER2013's CSV, relative to ``data_root``.
            Defaults to ``'fer2013.csv'``.
        label_mode (str): ``'majority'``, ``'probability'`` or
            ``'crossentropy'``. Defaults to ``'majority'``.
        num_classes (int): 8 (Contempt is label 7) or 7 (contempt votes
            dropped). Defaults to 8.
        views (str): ``'non_masked'``, ``'masked'``, ``'both'`` or
            ``'paired'``; the last three need ``masked_dir`` for masked
            images. Defaults to ``'both'``.
        masked_dir (str, optional): Folder (relative to ``data_root``) of
            masked copies under the FERPlus image names. Defaults to None
            (non-masked images only).
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`
            (``split``, ``fold``, ``on_error``...).
    """

    REQUIRED_COLUMNS = ('Usage', 'Image name') + FERPLUS_VOTES
    PIXEL_COLUMNS = ('pixels', 'Usage')

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'fer2013new.csv',
                 pixels_file: str = 'fer2013.csv',
                 label_mode: str = 'majority',
                 num_classes: int = 8,
                 views: str = 'both',
                 masked_dir: Optional[str] = None,
                 **kwargs):
        check_choice('FERPlus: label_mode', label_mode, LABEL_MODES)
        try:
            classes = fer_classes(num_classes)
        except ValueError as err:
            raise ValueError(f'FERPlus: {err}') from None
        if masked_dir is None and views in ('masked', 'paired'):
            raise ValueError(f'FERPlus: views={views!r} needs masked images: '
                             'set masked_dir to a folder of masked copies')
        self.label_mode, self.num_classes = label_mode, num_classes
        self.pixels_file, self.masked_dir = pixels_file, masked_dir
        self.excluded: Counter = Counter()
        self._targets: Dict[str, np.ndarray] = {}
        self._first_seen: Dict[str, str] = {}
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=classes)
        super().__init__(
            data_root=data_root,
            views=views,
            ann_file=ann_file,
            metainfo=metainfo,
            **kwargs)

    def load_records(self) -> List[FERRecord]:
        """One record per kept row (two with ``masked_dir``).

        Both CSVs hold no quoted commas, so rows are split on ``,`` like
        :class:`FER2013` does. Pixels are decoded for kept rows only.

        Returns:
            list[FERRecord]: All records of the dataset, all splits.
        """
        self.excluded = Counter()
        self._targets, self._first_seen = {}, {}
        rows = _csv_rows(self._read_ann_text())
        self._columns = csv_header(rows, self.ann_file, self.REQUIRED_COLUMNS)
        self._pixels = pixels = self._pixels_path()
        pixel_rows = _csv_rows(self._read_pixels_text(pixels))
        self._pixel_columns = csv_header(pixel_rows, pixels,
                                         self.PIXEL_COLUMNS)
        rows, pixel_rows = list(rows), list(pixel_rows)
        if len(rows) != len(pixel_rows):
            raise ValueError(
                f'FERPlus: {self.ann_file} has {len(rows)} data rows and '
                f'{pixels} {len(pixel_rows)}; row k of one labels row k of '
                'the other, so they must have as many')
        records = self._guard(zip(rows, pixel_rows), self._parse_row)
        MMLogger.get_current_instance().info(
            f'FERPlus: {sum(self.excluded.values())} of {len(rows)} rows of '
            f'{self.ann_file} excluded (label_mode={self.label_mode!r}, '
            f'num_classes={self.num_classes}): '
            f'{dict(self.excluded.most_common())}')
        return records

    def _pixels_path(self) -> str:
        """``pixels_file``, joined with ``data_root`` if relative."""
        if is_abs(self.pixels_file):
            return self.pixels_file
        return self.backend.join_path(self.data_root, self.pixels_file)

    def _read_pixels_text(self, path: str) -> str:
        """Text of FER2013's CSV, with a clear error if it is missing."""
        if not self.backend.exists(path):
            raise FileNotFoundError(
                f"FERPlus: pixels file {path} (FER2013's fer2013.csv) not "
                f'found; {self.ann_file} labels its rows')
        return self.backend.get_text(path).lstrip('\ufeff')

    def _parse_row(
        self, rows: Tuple[Tuple[int, List[str]], Tuple[int, List[str]]]
    ) -> List[FERRecord]:
        """Records of one row of each CSV ``((line, fields), (line,
        fields))``; none for an excluded row."""
        (lineno, fields), (pixel_lineno, pixel_fields) = rows
        pixels = self._pixels
        source = f'{self.ann_file}:{lineno}'
        pixel_source = f'{pixels}:{pixel_lineno}'
        row = row_dict(self._columns, fields, source)
        usage = row['Usage']
        if usage not in FER2013_USAGE:
            raise DataEntryError(f'{source}: Usage {usage!r} is not one of '
                                 f'{list(FER2013_USAGE)}')
        votes = parse_votes(row, source)
        pixel_row = row_dict(self._pixel_columns, pixel_fields, pixel_source)
        if pixel_row['Usage'] != usage:
            raise DataEntryError(
                f'{source}: Usage {usage!r} disagrees with {pixel_source} '
                f"(Usage {pixel_row['Usage']!r}); the two files must list "
                'the same images in the same order')
        name = row['Image name']
        if not name:
            return self._exclude('no image name')
        stem = self._image_stem(name, source)
        target, reason = ferplus_target(votes, self.num_classes,
                                        self.label_mode)
        if target is None:
            return self._exclude(reason)
        if self.label_mode != 'majority':
            self._targets[stem] = target
        common = dict(
            gt_label=int(np.argmax(target)),
            subject=stem,
            pair_id=stem,
            split=FER2013_USAGE[usage],
            source=source)
        records = [
            FERRecord(
                img_path=f'{osp.basename(pixels)}:{pixel_lineno}',
                masked=False,
                img=decode_pixels(pixel_row['pixels'], pixel_source),
                **common)
        ]
        if self.masked_dir is not None:
            records.append(
                FERRecord(
                    img_path=self.backend.join_path(self.data_root,
                                                    self.masked_dir, name),
                    masked=True,
                    **common))
        return records

    def _image_stem(self, name: str, source: str) -> str:
        """Stem of an image name; refuse a path or a repeated name."""
        if '/' in name or '\\' in name or name in ('.', '..'):
            raise DataEntryError(f'{source}: Image name {name!r} is not a '
                                 'file name')
        stem = osp.splitext(name)[0]
        if stem in self._first_seen:
            raise DataEntryError(f'{source}: image {stem!r} is listed twice '
                                 f'(first at {self._first_seen[stem]})')
        self._first_seen[stem] = source
        return stem

    def _exclude(self, reason: str) -> List[FERRecord]:
        """Count an excluded row."""
        self.excluded[reason] += 1
        return []

    def load_data_list(self) -> List[dict]:
        """The samples; soft labels go with them (``gt_score`` or
        ``label_dist``, see the class docstring).

        Returns:
            list[dict]: Samples following the mmsde data contract.
        """
        infos = super().load_data_list()
        if self.label_mode != 'majority':
            key = ('gt_score'
                   if self.label_mode == 'crossentropy' else 'label_dist')
            for info in infos:
                info[key] = self._targets[info['pair_id']]
        self._targets = {}
        return infos

    def get_data_info(self, idx: int) -> dict:
        """Data info with the grey image expanded to 3-channel BGR (for a
        pair, its non-masked image; masked images stay files) and, for
        ``label_mode='probability'``, a ``gt_label`` drawn from the votes.

        Args:
            idx (int): Sample index.

        Returns:
            dict: The sample.
        """
        info = super().get_data_info(idx)
        img = info.get('img')
        if isinstance(img, list):  # a pair: [non_masked, None]
            info['img'] = [_grey_to_bgr(view) for view in img]
        elif img is not None:
            info['img'] = _grey_to_bgr(img)
        if self.label_mode == 'probability':
            dist = info['label_dist'].astype(np.float64)
            info['gt_label'] = int(
                np.random.choice(dist.size, p=dist / dist.sum()))
        return info

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return super().extra_repr() + [
            f'Labels: \t{self.label_mode}, {self.num_classes} classes',
            f'Excluded rows: \t{dict(self.excluded)}',
        ]


def _grey_to_bgr(img: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """A grey (H, W) image as 3-channel BGR, the grey value repeated; None
    (an image read from file) and other images as they are."""
    if img is None or img.ndim != 2:
        return img
    return np.repeat(img[..., None], 3, axis=2)


def _csv_rows(text: str) -> Iterator[Tuple[int, List[str]]]:
    """``(line number, fields)`` of the non-blank lines of a CSV text."""
    lines = enumerate(text.splitlines(), start=1)
    return ((n, [f.strip().strip('"') for f in line.split(',')])
            for n, line in lines if line.strip())
