"""What the benchmark scripts of ``tools/benchmark/`` share: peak memory,
a line naming the machine, appending a table to docs/benchmarks.md, and the
test photo of the face benchmarks."""
import datetime
import os
import platform
import resource
import shlex
import sys

import numpy as np

from .extras import require_extra


def peak_memory() -> dict:
    """Peak resident memory (MiB) of this process and of its largest child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return dict(peak_rss_mb=own, peak_child_rss_mb=child)


def machine() -> str:
    """A line naming the machine and the stack."""
    import torch
    gpu = (torch.cuda.get_device_name()
           if torch.cuda.is_available() else 'no GPU')
    return (f'{platform.machine()}, {os.cpu_count()} CPU cores, {gpu}, '
            f'Python {platform.python_version()}, torch {torch.__version__} '
            f'({torch.get_num_threads()} threads)')


def append_report(path: str, text: str) -> None:
    """Append ``text`` to a markdown file under a heading with the date and
    the machine, after the command that produced it."""
    command = ' '.join(shlex.quote(a) for a in ['python'] + sys.argv)
    with open(path, 'a') as f:
        f.write(f'\n### {datetime.date.today()}: {machine()}\n\n'
                f'```bash\n{command}\n```\n\n{text}\n')
    print(f'appended to {path}')


def face_photo(width: int, height: int) -> np.ndarray:
    """A BGR test photo: scikit-image's coffee as background with its
    astronaut (one face) pasted in the middle at 3/4 of the height."""
    require_extra('faces', 'skimage', what="the face benchmarks' photo")
    import cv2
    from skimage import data
    img = cv2.resize(data.coffee(), (width, height),
                     interpolation=cv2.INTER_AREA)
    side = int(round(0.75 * height))
    face = cv2.resize(data.astronaut(), (side, side),
                      interpolation=cv2.INTER_AREA)
    y, x = (height - side) // 2, (width - side) // 2
    img[y:y + side, x:x + side] = face
    return img[..., ::-1].copy()
