"""Atomic file writes: a reader sees the old file or the complete new one,
never a half-written one, even if the writer is killed (SIGKILL) midway."""
import contextlib
import os
import os.path as osp
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path next to ``path``; when the block finishes,
    move it onto ``path`` in one ``os.replace``. On an exception the
    temporary file is removed and ``path`` is left as it was.

    Example:
        >>> with atomic_path('cache.pth') as tmp:
        ...     torch.save(obj, tmp)
    """
    path = str(path)
    os.makedirs(osp.dirname(osp.abspath(path)) or '.', exist_ok=True)
    root, ext = osp.splitext(path)
    tmp = f'{root}.partial{os.getpid()}{ext}'
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
