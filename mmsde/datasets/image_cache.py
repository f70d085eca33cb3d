"""Decoded images of a small dataset, held once in memory.

MSD-E has 1,960 images: decoding them again every epoch costs more CPU than
the network on small inputs. :class:`DecodedImageCache` runs a dataset's
loading transform once per sample and keeps the pixels in one contiguous
``uint8`` buffer. Dataloader workers forked from the main process share that
buffer (copy-on-write, never written), so the memory is paid once.
"""
from typing import Callable, List, Sequence, Union

import numpy as np
from mmengine.utils import ProgressBar

Images = Union[np.ndarray, List[np.ndarray]]

#: Loading transforms whose output the cache can stand in for.
LOADERS = ('LoadImageFromFile', 'LoadImagePair')


class DecodedImageCache:
    """Decoded images of every sample, in one shared buffer.

    Args:
        load (callable): Maps a data info to the loaded results (``img``:
            an array, or a list of arrays for paired samples).
        infos (Sequence[dict]): Data infos of the samples, in index order.
        progress (bool): Show a progress bar. Defaults to True.
    """

    def __init__(self,
                 load: Callable[[dict], dict],
                 infos: Sequence[dict],
                 progress: bool = True):
        images, self.views = [], []
        bar = ProgressBar(len(infos)) if progress and infos else None
        for info in infos:
            img = load(dict(info))['img']
            views = img if isinstance(img, list) else [img]
            self.views.append(len(views) if isinstance(img, list) else 0)
            images.extend(views)
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

    def __getitem__(self, idx: int) -> Images:
        """A writable copy of sample ``idx``'s image (or list of images)."""
        start, views = int(self.first[idx]), self.views[idx]
        if views == 0:
            return self._image(start)
        return [self._image(start + v) for v in range(views)]
