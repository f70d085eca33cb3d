"""Shared base of the masked-FER datasets (MSD-E, RAF-DB, FER2013, custom).

A subclass only reads its own annotation format into :class:`FERRecord`
objects (:meth:`MaskedFERBaseDataset.load_records`). The base then, for every
dataset alike:

1. validates labels and refuses duplicate entries;
2. selects the split: subject-disjoint folds (``fold``/``num_folds``/
   ``val_ratio``, see :mod:`mmsde.datasets.folds`) or, with ``fold=None``,
   the dataset's native split;
3. selects the views (``'non_masked'``, ``'masked'``, ``'both'`` or
   ``'paired'``);
4. checks once that every selected image stays inside ``data_root`` (after
   ``..`` and symlinks) and opens (``PIL.Image.verify``);
5. joins pairs for ``views='paired'`` and emits the data contract dicts.

With ``on_error='raise'`` (default) the first bad entry raises an error that
names the annotation file and line, the image path or the pair. With
``on_error='skip'`` bad entries are skipped, and each one is logged with its
reason, followed by the count: nothing is dropped silently.
"""
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, TypeVar

from mmengine.dataset import Compose
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from mmsde.utils.classes import FER_CLASSES

from .checks import (DataEntryError, check_choice, check_image, check_label,
                     check_split_args, resolve_path)
from .folds import SPLITS, split_subjects
from .image_cache import LOADERS, DecodedImageCache, cacheable_head
from .records import (FERRecord, group_pairs, in_view, make_pair,
                      select_native_split, single_info)

VIEWS = ('non_masked', 'masked', 'both', 'paired')
ON_ERROR = ('raise', 'skip')

T = TypeVar('T')
R = TypeVar('R')


class MaskedFERBaseDataset(BaseDataset):
    """Base of the masked-FER datasets: folds, views and checks.

    Subclasses implement :meth:`load_records`. Each sample of the resulting
    data list follows the mmsde data contract: ``img_path``, ``gt_label``,
    ``masked``, ``subject``, ``pair_id``; for ``views='paired'``,
    ``img_path=[non_masked, masked]`` and ``masked=(False, True)``.

    Args:
        data_root (str): Root folder of the dataset; no image may resolve
            outside it.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
            Defaults to ``'train'``.
        fold (int, optional): Test fold of the subject-disjoint
            cross-validation. ``None`` disables folds: ``split`` then
            selects the dataset's native split. Defaults to None.
        num_folds (int): Number of folds. Defaults to 10.
        val_ratio (float): Fraction of the non-test subjects of a fold held
            out as ``'val'``. Defaults to 0.
        views (str): ``'non_masked'``, ``'masked'``, ``'both'`` (each image
            a sample) or ``'paired'`` (each pair a sample).
            Defaults to ``'both'``.
        ann_file (str): Annotation file, relative to ``data_root``.
        on_error (str): ``'raise'`` or ``'skip'`` (log and skip bad
            entries). Defaults to ``'raise'``.
        cache_images (bool): Decode every image once, at build, and keep
            the pixels in memory (one buffer that dataloader workers share):
            the pipeline's loading transform (``LoadImageFromFile`` or
            ``LoadImagePair``) and any ``Resize`` right after it run once
            per sample. Samples are exactly those of the uncached dataset.
            For small sets such as MSD-E.
            Defaults to False.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
            ``test_mode`` defaults to ``split in ('val', 'test')``.
    """

    METAINFO = {'classes': FER_CLASSES}

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 fold: Optional[int] = None,
                 num_folds: int = 10,
                 val_ratio: float = 0.0,
                 views: str = 'both',
                 ann_file: str = '',
                 on_error: str = 'raise',
                 cache_images: bool = False,
                 **kwargs):
        name = type(self).__name__
        if not data_root:
            raise ValueError(f'{name}: data_root is required')
        check_choice(f'{name}: views', views, VIEWS)
        check_choice(f'{name}: on_error', on_error, ON_ERROR)
        check_split_args(split, fold, num_folds, val_ratio)
        self.split, self.fold, self.num_folds = split, fold, num_folds
        self.val_ratio, self.views, self.on_error = val_ratio, views, on_error
        self.cache_images = cache_images
        self.image_cache: Optional[DecodedImageCache] = None
        self.backend = get_file_backend(data_root, enable_singleton=True)
        if isinstance(self.backend, LocalBackend):
            data_root = osp.abspath(osp.expanduser(data_root))
        kwargs.setdefault('test_mode', split in ('val', 'test'))
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def full_init(self) -> None:
        """Load the data list and, with ``cache_images``, decode it."""
        if self._fully_initialized:
            return
        super().full_init()
        if self.cache_images:
            self.image_cache = self._decode_images()

    def _decode_images(self) -> Optional[DecodedImageCache]:
        """Run the pipeline's loading transform once for every sample."""
        name = type(self).__name__
        logger = MMLogger.get_current_instance()
        transforms = self.pipeline.transforms
        head = cacheable_head(transforms)
        if not head:
            if len(self) and 'img' in self.get_data_info(0):
                logger.info(f'{name}: images are in memory already; '
                            'cache_images has nothing to do')
                return None
            first = type(transforms[0]).__name__ if transforms else None
            raise ValueError(
                f'{name}: cache_images=True needs the pipeline to start with '
                f'one of {LOADERS}, got {first}')
        infos = [self.get_data_info(i) for i in range(len(self))]
        cache = DecodedImageCache(Compose(transforms[:head]), infos)
        cached = [type(t).__name__ for t in transforms[:head]]
        logger.info(f'{name}: {len(cache)} samples through {cached} once, '
                    f'cached in memory: {cache.nbytes / 2**20:.1f} MiB')
        self._after_loading = Compose(transforms[head:])
        return cache

    def prepare_data(self, idx: int):
        """Run the pipeline on sample ``idx``; with a cache, from memory."""
        if self.image_cache is None:
            return super().prepare_data(idx)
        info = self.get_data_info(idx)
        img, meta = self.image_cache[idx]
        info.update(meta, img=img)
        return self._after_loading(info)

    def load_records(self) -> List[FERRecord]:
        """Read every image of the dataset, all splits.

        Use :meth:`_guard` around per-line parsing so that ``on_error``
        applies to malformed lines.

        Returns:
            list[FERRecord]: One record per image.
        """
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        """Load records, select split and views, check, build the samples.

        Returns:
            list[dict]: Samples following the mmsde data contract.
        """
        self._skipped = 0
        records = self._validated(self.load_records())
        if not records:
            raise ValueError(f'{type(self).__name__}: {self.ann_file} '
                             'lists no usable images')
        records = self._select_split(records)
        records = [r for r in records if in_view(r, self.views)]
        root = resolve_path(self.data_root, self.backend)
        records = self._guard(records, lambda r: self._check_image(r, root))
        if self.views == 'paired':
            infos = self._guard(group_pairs(records), make_pair)
        else:
            infos = [single_info(r) for r in records]
        self._report(infos)
        return infos

    def _guard(self, items: Iterable[T],
               fn: Callable[[T], List[R]]) -> List[R]:
        """Apply ``fn`` to each item; bad items raise or are logged.

        Args:
            items (Iterable): Entries (lines, records or pairs).
            fn (Callable): Returns a list of results for one entry, or
                raises :class:`DataEntryError`.

        Returns:
            list: The concatenated results of the good entries.
        """
        results: List[R] = []
        for item in items:
            try:
                results.extend(fn(item))
            except DataEntryError as err:
                if self.on_error == 'raise':
                    raise
                self._skipped += 1
                MMLogger.get_current_instance().warning(
                    f'{type(self).__name__}: skipped {err}')
        return results

    def _read_ann_text(self) -> str:
        """Text of ``self.ann_file``, with a clear error if it is missing."""
        if not self.backend.exists(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {self.ann_file} not '
                f'found (data_root={self.data_root})')
        return self.backend.get_text(self.ann_file).lstrip('\ufeff')

    def _validated(self, records: List[FERRecord]) -> List[FERRecord]:
        """Check labels and refuse an image listed twice."""
        first_seen: Dict[str, str] = {}
        num_classes = len(self.CLASSES)

        def check(rec: FERRecord) -> List[FERRecord]:
            check_label(rec.gt_label, num_classes, rec.img_path, rec.source)
            if rec.img_path in first_seen:
                raise DataEntryError(
                    f'{rec.source}: {rec.img_path} is listed twice (first at '
                    f'{first_seen[rec.img_path]})')
            first_seen[rec.img_path] = rec.source
            return [rec]

        return self._guard(records, check)

    def _select_split(self, records: List[FERRecord]) -> List[FERRecord]:
        """Keep the records of the requested fold split or native split."""
        if self.fold is None:
            return select_native_split(records, self.split,
                                       type(self).__name__)
        try:
            subjects = split_subjects([r.subject for r in records],
                                      self.fold, self.num_folds, self.split,
                                      self.val_ratio)
        except ValueError as err:
            raise ValueError(f'{type(self).__name__}: {err}') from None
        return [r for r in records if r.subject in subjects]

    def _check_image(self, rec: FERRecord, root: str) -> List[FERRecord]:
        """Check one image file (records holding pixels pass)."""
        if rec.img is None:
            check_image(rec.img_path, root, self.backend, rec.source)
        return [rec]

    def _report(self, infos: List[dict]) -> None:
        """Raise on an empty selection; log the size and skipped count."""
        name = type(self).__name__
        logger = MMLogger.get_current_instance()
        if self._skipped:
            logger.warning(f'{name}: {self._skipped} bad entries skipped '
                           "(on_error='skip'), each logged above")
        if not infos:
            raise ValueError(
                f'{name}: no samples for {self._selection()} in '
                f'{self.data_root}. Options: split in {SPLITS}, fold in '
                f'0..num_folds-1 or None (native split), views in {VIEWS}')
        subjects = {info['subject'] for info in infos}
        logger.info(f'{name} {self._selection()}: {len(infos)} samples of '
                    f'{len(subjects)} subjects')

    def _selection(self) -> str:
        """The split arguments, for messages."""
        return (f'split={self.split!r}, fold={self.fold}, '
                f'num_folds={self.num_folds}, views={self.views!r}')

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Root of dataset: \t{self.data_root}',
            f'Annotation file: \t{self.ann_file}',
            f'Selection: \t{self._selection()}',
        ]
