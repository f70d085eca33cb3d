"""MSD-E: the Masked Student Dataset of Expressions."""
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

from mmpretrain.registry import DATASETS

from mmsde.synthetic import MASKED_VIEWS

from .annotation import csv_rows
from .base import MaskedFERBaseDataset
from .checks import DataEntryError, check_choice, parse_index
from .records import FERRecord

#: MSD-E's layout: non-masked and masked folders, and the pair list.
NON_MASKED_DIR = 'MSD-E'
MASKED_DIR = 'MSD-ME'
PAIRS_FILE = 'Paired_files.txt'
#: What a synthetic benchmark's folder records about its drawing (generator
#: version, seed, masked view, ...), written last by
#: :func:`~mmsde.datasets.generate_synthetic_msde`.
SYNTHETIC_RECORD = 'synthetic.json'
MAKE_SYNTHETIC = 'tools/dataset_converters/make_synthetic_msde.py'

# ``<subject>_<label>_<rest>``: the label is the second ``_`` field.
MSDE_NAME = re.compile(
    r'^(?P<subject>[^_/\\]+)_(?P<label>[^_]+)_(?P<rest>.+)$')


def regenerate_command(root: str, masked_view: str) -> str:
    """The command that writes the synthetic benchmark at ``root`` with
    ``masked_view`` (replacing what is there)."""
    return (f'python {MAKE_SYNTHETIC} {root} --masked-view {masked_view} '
            '--overwrite')


def parse_synthetic_record(text: str, path: str) -> Dict:
    """The record of a synthetic benchmark (:data:`SYNTHETIC_RECORD`).

    Args:
        text (str): The file's text.
        path (str): The file, for messages.

    Returns:
        dict: The record; its ``masked_view`` is one of ``MASKED_VIEWS``.

    Raises:
        ValueError: The text is not such a record.
    """
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}: not JSON ({err})') from None
    if not isinstance(record, dict) or \
            record.get('masked_view') not in MASKED_VIEWS:
        raise ValueError(f'{path}: needs a JSON object whose masked_view is '
                         f'one of {MASKED_VIEWS}')
    return record


def check_synthetic_view(record: Dict, path: str, expected: str,
                         root: str) -> None:
    """Refuse a synthetic benchmark whose masked view is not ``expected``.

    Args:
        record (dict): The folder's record (:func:`parse_synthetic_record`).
        path (str): The record's file, for the message.
        expected (str): The masked view asked for.
        root (str): The benchmark's folder, for the command in the message.

    Raises:
        ValueError: Naming the file, both modes and the command that
            regenerates the folder with ``expected``.
    """
    made = record['masked_view']
    if made != expected:
        command = regenerate_command(root, expected)
        raise ValueError(
            f'{path}: this synthetic benchmark was generated with '
            f'masked_view={made!r}, not the {expected!r} asked for '
            "('overlay': the mask drawn on the non-masked image; "
            "'second_photo': on a second photograph of the same face and "
            f'expression). Regenerate it with `{command}` or point '
            f'data_root at a {expected} set.')


def parse_msde_name(name: str, source: str) -> Tuple[str, int, str]:
    """Parse ``<subject>_<label>_<rest>`` from an MSD-E file name.

    Args:
        name (str): File name, e.g. ``'12_3_a.jpg'``.
        source (str): ``'<Paired_files.txt>:<line>'``, for the message.

    Returns:
        tuple[str, int, str]: Subject ID, class index and the file stem
        (used as ``pair_id``).

    Raises:
        DataEntryError: If the name does not follow the pattern.
    """
    match = MSDE_NAME.match(name)
    label = None if match is None else parse_index(match['label'])
    if label is None:
        raise DataEntryError(
            f"{source}: file name {name!r} does not match the MSD-E pattern "
            "'<subject>_<label>_<rest>' (label: an integer class index)")
    return match['subject'], label, osp.splitext(name)[0]


@DATASETS.register_module()
class MSDE(MaskedFERBaseDataset):
    """The Masked Student Dataset of Expressions (MSD-E).

    `Paper <https://arxiv.org/abs/2304.03867>`_ (ICVGIP 2022): 1,960 photos of
    142 people, each expression photographed without and with a face mask.
    The dataset is obtained from its authors; their layout is: ::

        data_root
        ├── MSD-E                 # non-masked images
        │   ├── 1_3_001.jpg       # <subject>_<label>_<rest>
        │   └── ...
        ├── MSD-ME                # masked images, same file names
        │   ├── 1_3_001.jpg
        │   └── ...
        └── Paired_files.txt      # CSV, no header, file name in column 0

    Each listed file name gives two records, non-masked and masked, that form
    one pair (``pair_id`` = file stem). Labels are class indices in RAF-DB
    order (:data:`~mmsde.utils.classes.FER_CLASSES`). The protocol is
    10-fold subject-disjoint cross-validation; folds partition the subjects
    exactly (see :mod:`mmsde.datasets.folds`).

    Args:
        data_root (str): The dataset root, laid out as above.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
            Defaults to ``'train'``.
        fold (int, optional): Test fold. MSD-E has no native split, so
            without a fold (the default, None) only ``split='all'`` works.
        num_folds (int): Number of folds. Defaults to 10.
        val_ratio (float): Fraction of the training subjects held out as
            ``'val'`` for checkpoint selection. Defaults to 0.
        views (str): ``'non_masked'``, ``'masked'``, ``'both'`` or
            ``'paired'``. Defaults to ``'both'``.
        ann_file (str): The pair list. Defaults to ``'Paired_files.txt'``.
        non_masked_dir (str): Folder of non-masked images.
            Defaults to ``'MSD-E'``.
        masked_dir (str): Folder of masked images. Defaults to ``'MSD-ME'``.
        on_error (str): ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        synthetic_view (str, optional): For the synthetic benchmark: the
            masked view it must have been generated with (``'overlay'`` or
            ``'second_photo'``, see :func:`~mmsde.synthetic.render_pair`),
            checked against the folder's ``synthetic.json``, which must
            exist. None (the default, the real MSD-E) checks nothing.
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`.

    Examples:
        >>> from mmsde.datasets import MSDE
        >>> train = MSDE('data/msde', split='train', fold=0, val_ratio=0.1)
        >>> pairs = MSDE('data/msde', split='test', fold=0, views='paired')
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str = PAIRS_FILE,
                 non_masked_dir: str = NON_MASKED_DIR,
                 masked_dir: str = MASKED_DIR,
                 synthetic_view: Optional[str] = None,
                 **kwargs):
        if synthetic_view is not None:
            check_choice(f'{type(self).__name__}: synthetic_view',
                         synthetic_view, MASKED_VIEWS)
        self.non_masked_dir = non_masked_dir
        self.masked_dir = masked_dir
        self.synthetic_view = synthetic_view
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def load_records(self) -> List[FERRecord]:
        """Two records (non-masked, masked) per line of the pair list,
        after the synthetic benchmark's masked view is checked.

        Returns:
            list[FERRecord]: All records of the dataset.
        """
        if self.synthetic_view is not None:
            self._check_synthetic_view()
        rows = csv_rows(self._read_ann_text(), self.ann_file)
        return self._guard(rows, self._parse_row)

    def _check_synthetic_view(self) -> None:
        """Refuse a folder without a record of ``synthetic_view``."""
        path = self.backend.join_path(self.data_root, SYNTHETIC_RECORD)
        if not self.backend.exists(path):
            command = regenerate_command(self.data_root, self.synthetic_view)
            raise FileNotFoundError(
                f'{type(self).__name__}: {path} not found, so the masked view '
                f'of the synthetic benchmark in {self.data_root} '
                f'({MASKED_VIEWS}) is unknown: it was generated before '
                'benchmarks recorded it, or it is no synthetic benchmark '
                '(the real MSD-E takes synthetic_view=None). Regenerate it '
                f'with `{command}`.')
        record = parse_synthetic_record(self.backend.get_text(path), path)
        check_synthetic_view(record, path, self.synthetic_view, self.data_root)

    def _parse_row(self, row: Tuple[int, List[str]]) -> List[FERRecord]:
        """Records of one pair-list row ``(line number, fields)``."""
        lineno, fields = row
        source = f'{self.ann_file}:{lineno}'
        name = fields[0].strip()
        subject, label, stem = parse_msde_name(name, source)
        return [
            FERRecord(
                img_path=self.backend.join_path(self.data_root, folder, name),
                gt_label=label,
                masked=masked,
                subject=subject,
                pair_id=stem,
                source=source)
            for folder, masked in ((self.non_masked_dir, False),
                                   (self.masked_dir, True))
        ]
