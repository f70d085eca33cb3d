"""Decoded images of a small dataset, held once in memory.

MSD-E has 1,960 images: decoding (and resizing) them again every epoch costs
more CPU than the network on small inputs. :class:`DecodedImageCache` runs
the deterministic head of a dataset's pipeline (the loading transform and
any ``Resize`` right after it) once per sample and keeps the pixels in one
contiguous buffer, the few other keys those transforms add beside them.
Dataloader workers forked from the main process share that buffer
(copy-on-write, never written), so the memory is paid once.
"""
from typing import Callable, Dict, List, Sequence, Tuple, Union

import numpy as np
from mmengine.utils import ProgressBar

Images = Union[np.ndarray, List[np.ndarray]]

#: Loading transforms whose output the cache can stand in for.
LOADERS = ('LoadImageFromFile', 'LoadFaceImage', 'LoadImagePair')
#: Deterministic transforms that may follow the loader in the cached head.
CACHEABLE = ('Resize', )


def cacheable_head(transforms: Sequence) -> int:
    """How many leading transforms the cache can run once: a loader, then
    any ``Resize`` (also inside a ``PairedTransform`` of only ``Resize``).
    0 when the pipeline does not start with a loader."""
    if not transforms or type(transforms[0]).__name__ not in LOADERS:
        return 0
    count = 1
    for transform in transforms[1:]:
        inner = [transform]
        if type(transform).__name__ == 'PairedTransform':
            inner = transform.pipeline.transforms
        if not all(type(t).__name__ in CACHEABLE for t in inner):
            break
        count += 1
    return count


class DecodedImageCache:
    """Decoded images of every sample, in one shared buffer.

    Args:
        load (callable): Maps a data info to the loaded results (``img``:
            an array, or a list of arrays for paired samples, and other
            keys, kept per sample).
        infos (Sequence[dict]): Data infos of the samples, in index order.
        progress (bool): Show a progress bar. Defaults to True.
    """

    def __init__(self,
                 load: Callable[[dict], dict],
                 infos: Sequence[dict],
                 progress: bool = True):
        images, self.views = [], []
        self.meta: List[Dict] = []
        bar = ProgressBar(len(infos)) if progress and infos else None
        for info in infos:
            results = load(dict(info))
            img = results.pop('img')
            self.meta.append({
                k: v
                for k, v in results.items() if k not in info
            })
            paired = isinstance(img, list)
            self.views.append(len(img) if paired else 0)
            images.extend(img if paired else [img])
            if bar is not None:
                bar.update()
        self.shapes = [img.shape for img in images]
        self.dtypes = [img.dtype for img in images]
        sizes = [img.nbytes for img in images]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.buffer = np.empty(int(self.offsets[-1]), np.uint8)
        for i, img in enumerate(images):
            self.buffer[self.offsets[i]:self.offsets[i + 1]] = \
                np.ascontiguousarray(img).view(np.uint8).reshape(-1)
        self.first = np.concatenate(
            [[0], np.cumsum([max(v, 1) for v in self.views])]).astype(np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes held by the pixels."""
        return int(self.buffer.nbytes)

    def __len__(self) -> int:
        return len(self.views)

    def _image(self, i: int) -> np.ndarray:
        raw = self.buffer[self.offsets[i]:self.offsets[i + 1]]
        return raw.view(self.dtypes[i]).reshape(self.shapes[i]).copy()

    def __getitem__(self, idx: int) -> Tuple[Images, Dict]:
        """A writable copy of sample ``idx``'s image (or list of images),
        and the other keys the cached transforms added."""
        start, views = int(self.first[idx]), self.views[idx]
        if views == 0:
            return self._image(start), dict(self.meta[idx])
        return ([self._image(start + v)
                 for v in range(views)], dict(self.meta[idx]))
