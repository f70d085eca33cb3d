"""RAF-DB (basic) in its native format, optionally with masked copies."""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

from .base import MaskedFERBaseDataset
from .checks import DataEntryError, parse_index
from .records import FERRecord, image_folders

RAFDB_SPLITS = ('train', 'test')


@DATASETS.register_module()
class RAFDB(MaskedFERBaseDataset):
    """The Real-world Affective Faces Database, basic emotions (RAF-DB).

    `RAF-DB <http://www.whdeng.cn/raf/model1.html>`_ after download: ::

        data_root
        ├── EmoLabel
        │   └── list_patition_label.txt  # 'train_00001.jpg 5', labels 1..7
        ├── Image
        │   └── aligned
        │       ├── train_00001_aligned.jpg
        │       └── ...
        └── <masked_dir>                 # optional masked copies
            ├── train_00001_aligned.jpg
            └── ...

    RAF-DB labels 1..7 follow the same order as
    :data:`~mmsde.utils.classes.FER_CLASSES` and become 0..6. The native
    split is given by the file-name prefix (``train``/``test``).

    RAF-DB has no identity labels, so ``subject`` and ``pair_id`` are the
    image stem (``'train_00001'``). Subject-disjoint folds are impossible:
    use the native split (``fold=None``, the default). With ``fold`` set,
    folds are image-level, which a warning recalls.

    Args:
        data_root (str): The dataset root, laid out as above.
        split (str): ``'train'``, ``'test'`` or ``'all'`` with
            ``fold=None``; any fold split with ``fold`` set.
            Defaults to ``'train'``.
        fold (int, optional): Image-level test fold, or None for the native
            split. Defaults to None.
        num_folds (int): Number of folds. Defaults to 10.
        val_ratio (float): Fraction of non-test images held out as ``'val'``
            (folds only). Defaults to 0.
        views (str): ``'non_masked'``, ``'masked'``, ``'both'`` or
            ``'paired'``; the last two use ``masked_dir`` when given.
            Defaults to ``'both'``.
        ann_file (str): Label list.
            Defaults to ``'EmoLabel/list_patition_label.txt'``.
        masked_dir (str, optional): Folder (relative to ``data_root``) of
            masked copies under the aligned file names, e.g. written by a
            synthetic-mask converter. Each copy is the masked side of a pair.
            Defaults to None (non-masked images only).
        on_error (str): ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`.
    """

    IMG_DIR = 'Image/aligned'

    def __init__(self,
                 data_root: str,
                 fold: Optional[int] = None,
                 views: str = 'both',
                 ann_file: str = 'EmoLabel/list_patition_label.txt',
                 masked_dir: Optional[str] = None,
                 **kwargs):
        if masked_dir is None and views in ('masked', 'paired'):
            raise ValueError(f'RAFDB: views={views!r} needs masked images: '
                             'set masked_dir to a folder of masked copies')
        if fold is not None:
            MMLogger.get_current_instance().warning(
                'RAFDB has no identity labels: folds split images, not '
                'subjects; prefer the native split (fold=None)')
        self.masked_dir = masked_dir
        super().__init__(
            data_root=data_root,
            fold=fold,
            views=views,
            ann_file=ann_file,
            **kwargs)

    def load_records(self) -> List[FERRecord]:
        """One record per listed image, plus its masked copy if any.

        Returns:
            list[FERRecord]: All records of the dataset.
        """
        lines = enumerate(self._read_ann_text().splitlines(), start=1)
        rows = [(n, line) for n, line in lines if line.strip()]
        return self._guard(rows, self._parse_line)

    def _parse_line(self, row: Tuple[int, str]) -> List[FERRecord]:
        """Records of one label-list line ``(line number, text)``."""
        lineno, line = row
        source = f'{self.ann_file}:{lineno}'
        fields = line.split()
        if len(fields) != 2 or parse_index(fields[1]) is None:
            raise DataEntryError(f"{source}: expected '<name>.jpg <label>', "
                                 f'got {line.strip()!r}')
        stem = osp.splitext(fields[0])[0]
        split = stem.split('_', 1)[0]
        if split not in RAFDB_SPLITS:
            raise DataEntryError(f'{source}: {fields[0]!r} does not start '
                                 f'with a split prefix {RAFDB_SPLITS}')
        label = int(fields[1])
        if not 1 <= label <= len(self.CLASSES):
            raise DataEntryError(f'{source}: RAF-DB label {label} is not in '
                                 f'1..{len(self.CLASSES)}')
        folders = image_folders(self.IMG_DIR, self.masked_dir)
        return [
            FERRecord(
                img_path=self.backend.join_path(self.data_root, folder,
                                                f'{stem}_aligned.jpg'),
                gt_label=label - 1,
                masked=masked,
                subject=stem,
                pair_id=stem,
                split=split,
                source=source) for folder, masked in folders
        ]
