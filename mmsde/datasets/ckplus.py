"""CK+ (the Extended Cohn-Kanade dataset) from its official folders,
optionally with masked copies."""
import posixpath
import re
from collections import Counter
from typing import List, Optional, Tuple

from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

from mmsde.utils.classes import fer_classes

from .base import MaskedFERBaseDataset
from .checks import DataEntryError, check_min_ints
from .folds import natural_key
from .records import FERRecord, image_folders

#: CK+'s emotion codes 0..7 (0 never appears in its emotion files).
CKPLUS_CODES = ('neutral', 'anger', 'contempt', 'disgust', 'fear', 'happy',
                'sadness', 'surprise')
#: Entry i: the mmsde label (FER_CLASSES_8 order) of CK+ code i:
#: neutral 6, anger 5, contempt 7, disgust 2, fear 1, happy 3, sadness 4,
#: surprise 0.
CKPLUS_TO_FER_CLASSES = (6, 5, 7, 2, 1, 3, 4, 0)
#: The label of the first frame with ``neutral_first=True``.
NEUTRAL = CKPLUS_TO_FER_CLASSES[0]
CONTEMPT_CODE = CKPLUS_CODES.index('contempt')
EMOTION_SUFFIX = '_emotion.txt'
FRAME_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')

# A decimal number in ASCII, as CK+ writes it ('   3.0000000e+00'); float()
# alone would also take 'nan', 'inf', '1_0' and non-ASCII digits.
_NUMBER = re.compile(
    r'[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')


def parse_emotion(text: str, source: str) -> int:
    """The CK+ emotion code of an emotion file's text.

    Args:
        text (str): The file's text: exactly one number, a whole number
            1..7 written as CK+ does (``'   3.0000000e+00'``).
        source (str): ``'<emotion file>:1'``, for the message.

    Returns:
        int: The code 1..7 (see :data:`CKPLUS_CODES`).

    Raises:
        DataEntryError: Naming ``source``, if the text is anything else.
    """
    fields = text.lstrip('\ufeff').split()
    if len(fields) != 1 or not _NUMBER.fullmatch(fields[0]):
        shown = text if len(text) <= 60 else text[:57] + '...'
        raise DataEntryError(f'{source}: expected one number (a CK+ emotion '
                             f'code 1..7), got {shown!r}')
    value = float(fields[0])
    if not value.is_integer() or not 1 <= value < len(CKPLUS_CODES):
        raise DataEntryError(f'{source}: emotion code {fields[0]!r} is not '
                             f'a whole number in 1..{len(CKPLUS_CODES) - 1}')
    return int(value)


@DATASETS.register_module()
class CKPlus(MaskedFERBaseDataset):
    """The Extended Cohn-Kanade dataset (CK+), posed expression sequences.

    `CK+ <https://www.jeffcohn.net/resources/>`_ (Lucey et al., CVPR
    workshops 2010) after download: ::

        data_root
        ├── cohn-kanade-images
        │   └── S005                      # subject
        │       └── 001                   # sequence: neutral -> apex
        │           ├── S005_001_00000001.png
        │           ├── ...
        │           └── S005_001_00000011.png
        ├── Emotion                       # a file per labelled sequence
        │   └── S005
        │       └── 001
        │           └── S005_001_00000011_emotion.txt  # '  3.00e+00'
        ├── Landmarks                     # not used
        └── <masked_dir>                  # optional masked copies, same
            └── S005/001/S005_001_00000011.png  # sub-paths as the images

    Only sequences with an emotion file are used. Its code (1 anger,
    2 contempt, 3 disgust, 4 fear, 5 happy, 6 sadness, 7 surprise; 0 neutral
    is never written) maps to
    :data:`~mmsde.utils.classes.FER_CLASSES_8` by
    :data:`CKPLUS_TO_FER_CLASSES`. The file names the sequence's last frame
    (the apex), which must exist and be the last image of the sequence
    folder. The last ``last_frames`` frames of each labelled sequence get
    its label; with ``neutral_first`` its first frame is added as Neutral.

    Sequences left out are counted by reason in ``excluded`` and logged,
    never dropped silently: ``'no emotion file'``, ``'contempt (7
    classes)'`` (with ``num_classes=7``) and ``'fewer than N frames'``
    (too short for the frames asked for).

    ``subject`` is the subject folder (``'S005'``), ``pair_id`` the image
    stem (``'S005_001_00000011'``). CK+ has no native split: set ``fold``
    for subject-disjoint folds (see :mod:`mmsde.datasets.folds`), or use
    ``split='all'``.

    Args:
        data_root (str): The dataset root, laid out as above.
        img_dir (str): The image folder.
            Defaults to ``'cohn-kanade-images'``.
        ann_file (str): The emotion folder. Defaults to ``'Emotion'``.
        last_frames (int): Frames at the end of each labelled sequence
            that get its label. Defaults to 3.
        neutral_first (bool): Also use each labelled sequence's first frame,
            as Neutral. Defaults to False.
        num_classes (int): 7, or 8 with Contempt. Defaults to 7.
        masked_dir (str, optional): Folder of masked copies under the
            images' sub-paths; each copy is the masked side of a pair.
            Defaults to None (non-masked images only).
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`
            (``split``, ``fold``, ``num_folds``, ``val_ratio``, ``views``,
            ``on_error``, ...).

    Examples:
        >>> from mmsde.datasets.ckplus import CKPlus
        >>> train = CKPlus('data/ckplus', split='train', fold=0)
        >>> test = CKPlus('data/ckplus', split='test', fold=0,
        ...               neutral_first=True, num_classes=8)
    """

    def __init__(self,
                 data_root: str,
                 img_dir: str = 'cohn-kanade-images',
                 ann_file: str = 'Emotion',
                 last_frames: int = 3,
                 neutral_first: bool = False,
                 num_classes: int = 7,
                 masked_dir: Optional[str] = None,
                 views: str = 'both',
                 **kwargs):
        classes = fer_classes(num_classes)
        check_min_ints(('CKPlus: last_frames', last_frames, 1))
        if masked_dir is None and views in ('masked', 'paired'):
            raise ValueError(f'CKPlus: views={views!r} needs masked images: '
                             'set masked_dir to a folder of masked copies')
        self.img_dir, self.ann_dir = img_dir, ann_file
        self.last_frames, self.neutral_first = last_frames, neutral_first
        self.masked_dir = masked_dir
        self.excluded: Counter = Counter()
        kwargs.setdefault('metainfo', dict(classes=classes))
        super().__init__(data_root=data_root, ann_file=ann_file, views=views,
                         **kwargs)

    def load_records(self) -> List[FERRecord]:
        """Records of the labelled sequences, the others counted.

        Returns:
            list[FERRecord]: All records of the dataset.
        """
        self.excluded.clear()
        img_root = self.backend.join_path(self.data_root, self.img_dir)
        for name, folder in (('emotion', self.ann_file),
                             ('image', img_root)):
            if not self.backend.isdir(folder):
                raise FileNotFoundError(
                    f'CKPlus: {name} folder {folder} not found '
                    f'(data_root={self.data_root})')
        labelled = self._emotion_files()
        unlabelled = set(self._subfolders(img_root)) - dict(labelled).keys()
        if unlabelled:
            self.excluded['no emotion file'] = len(unlabelled)
        records = self._guard(labelled, self._sequence_records)
        if self.excluded:
            MMLogger.get_current_instance().info(
                f'CKPlus: sequences left out: {dict(self.excluded)}')
        return records

    def _subfolders(self, root: str) -> List[Tuple[str, str]]:
        """``(subject, sequence)`` of every ``root/<subject>/<sequence>``
        folder, in sorted order (hidden entries ignored)."""
        return [(subject, seq) for subject in self._list(root, dirs=True)
                for seq in self._list(
                    self.backend.join_path(root, subject), dirs=True)]

    def _list(self, folder: str, dirs: bool) -> List[str]:
        """Sorted folders (``dirs``) or files of ``folder``, not hidden."""
        names = self.backend.list_dir_or_file(
            folder, list_dir=dirs, list_file=not dirs)
        return sorted((n for n in names if not n.startswith('.')),
                      key=natural_key)

    def _emotion_files(self) -> List[Tuple[Tuple[str, str], List[str]]]:
        """``((subject, sequence), emotion file names)`` of each sequence
        folder of the emotion folder that holds one or more, sorted."""
        found = []
        for subject, seq in self._subfolders(self.ann_file):
            folder = self.backend.join_path(self.ann_file, subject, seq)
            names = [
                n for n in self._list(folder, dirs=False)
                if n.endswith(EMOTION_SUFFIX)
            ]
            if names:
                found.append(((subject, seq), names))
        return found

    def _source(self, subject: str, seq: str, name: str) -> str:
        """``'<emotion file, relative to data_root>:1'``."""
        return posixpath.join(self.ann_dir, subject, seq, name) + ':1'

    def _sequence_records(
            self, item: Tuple[Tuple[str, str], List[str]]
    ) -> List[FERRecord]:
        """Records of one labelled sequence ``((subject, sequence),
        emotion file names)``: none if it is left out."""
        (subject, seq), names = item
        name = names[0]
        source = self._source(subject, seq, name)
        if len(names) > 1:
            raise DataEntryError(
                f'{self._source(subject, seq, names[1])}: sequence '
                f'{subject}/{seq} has {len(names)} emotion files {names}; '
                'CK+ gives one per sequence')
        path = self.backend.join_path(self.ann_file, subject, seq, name)
        try:
            text = self.backend.get(path).decode('utf-8')
        except UnicodeDecodeError as err:
            raise DataEntryError(f'{source}: not UTF-8 text ({err})') from None
        code = parse_emotion(text, source)
        frames = self._frames(subject, seq, name, source)
        if code == CONTEMPT_CODE and len(self.CLASSES) < 8:
            self.excluded[f'contempt ({len(self.CLASSES)} classes)'] += 1
            return []
        need = self.last_frames + int(self.neutral_first)
        if len(frames) < need:
            self.excluded[f'fewer than {need} frames'] += 1
            return []
        chosen = [(f, CKPLUS_TO_FER_CLASSES[code])
                  for f in frames[-self.last_frames:]]
        if self.neutral_first:
            chosen.insert(0, (frames[0], NEUTRAL))
        folders = image_folders(self.img_dir, self.masked_dir)
        return [
            FERRecord(
                img_path=self.backend.join_path(self.data_root, folder,
                                                subject, seq, frame),
                gt_label=label,
                masked=masked,
                subject=subject,
                pair_id=posixpath.splitext(frame)[0],
                source=source) for frame, label in chosen
            for folder, masked in folders
        ]

    def _frames(self, subject: str, seq: str, name: str,
                source: str) -> List[str]:
        """The sequence's frame files, sorted; the emotion file ``name``
        must name the last one."""
        folder = self.backend.join_path(self.data_root, self.img_dir,
                                        subject, seq)
        frames = []
        if self.backend.isdir(folder):
            frames = [
                n for n in self._list(folder, dirs=False)
                if posixpath.splitext(n)[1].lower() in FRAME_SUFFIXES
            ]
        if not frames:
            raise DataEntryError(f'{source}: the sequence folder {folder} '
                                 'has no images (or is missing)')
        stem = name[:-len(EMOTION_SUFFIX)]
        named = [n for n in frames if posixpath.splitext(n)[0] == stem]
        if not named:
            raise DataEntryError(f'{source}: names frame {stem!r}, which is '
                                 f'not an image in {folder}')
        if named[-1] != frames[-1]:
            raise DataEntryError(
                f'{source}: names frame {named[-1]!r}, but the last frame of '
                f'{folder} is {frames[-1]!r}')
        return frames
