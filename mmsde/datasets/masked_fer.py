"""A masked-FER dataset driven by an annotation file, for users' own data."""
import os.path as osp
from typing import Any, List, Tuple

from mmpretrain.registry import DATASETS

from .annotation import check_metainfo, parse_entry, read_annotation
from .base import MaskedFERBaseDataset
from .records import FERRecord


@DATASETS.register_module()
class MaskedFERDataset(MaskedFERBaseDataset):
    """Masked-FER dataset from an annotation file: bring your own data.

    The annotation is OpenMMLab 2.0 JSON (``metainfo`` + ``data_list``), or
    CSV with a header or JSON lines holding the same fields (see
    :mod:`mmsde.datasets.annotation`):

    - ``img_path``: image path relative to ``data_root`` (paths resolving
      outside ``data_root`` are refused);
    - ``gt_label``: class index or class name of
      :data:`~mmsde.utils.classes.FER_CLASSES`;
    - ``masked``: ``0``/``1``/``true``/``false``;
    - ``pair_id`` (optional): shared by the non-masked and masked image of a
      pair; defaults to the file stem, so ``plain/x.jpg`` and
      ``masked/x.jpg`` pair up like MSD-E;
    - ``subject`` (optional): person identity for subject-disjoint folds;
      defaults to ``pair_id``;
    - ``split`` (optional): native split name, used with ``fold=None``.

    Example CSV: ::

        img_path,gt_label,masked,subject,pair_id
        plain/s01_a.jpg,Happiness,0,s01,s01_a
        masked/s01_a.jpg,3,1,s01,s01_a

    Args:
        data_root (str): Root of the images.
        ann_file (str): Annotation file, relative to ``data_root``.
        **kwargs: Other arguments of :class:`MaskedFERBaseDataset`
            (``split``, ``fold``, ``num_folds``, ``val_ratio``, ``views``,
            ``on_error``; ``data_prefix`` moves the image root below
            ``data_root``).
    """

    def __init__(self, data_root: str, ann_file: str, **kwargs):
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def load_records(self) -> List[FERRecord]:
        """One record per annotation entry.

        Returns:
            list[FERRecord]: All records of the dataset.
        """
        metainfo, entries = read_annotation(self._read_ann_text(),
                                            self.ann_file)
        check_metainfo(metainfo, self.CLASSES, self.ann_file)
        return self._guard(entries, self._parse_entry)

    def _parse_entry(self, item: Tuple[str, Any]) -> List[FERRecord]:
        """Record of one annotation entry ``(source, raw entry)``."""
        source, raw = item
        entry = parse_entry(raw, source, self.CLASSES)
        rel_path = entry['img_path']
        pair_id = entry['pair_id'] or osp.splitext(osp.basename(rel_path))[0]
        return [
            FERRecord(
                img_path=self.backend.join_path(self.img_prefix, rel_path),
                gt_label=entry['gt_label'],
                masked=entry['masked'],
                subject=entry['subject'] or pair_id,
                pair_id=pair_id,
                split=entry['split'],
                source=source)
        ]
