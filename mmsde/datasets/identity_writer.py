"""Write a synthetic face-identity set, the bundled benchmark's stand-in for
MS-Celeb-1M: one folder per person, as CASIA-WebFace, VGGFace2 and MS1M crops
are distributed, readable by MMPretrain's ``CustomDataset``.

The people are new identities of :mod:`mmsde.synthetic` (subject numbers from
``first_subject`` = 1000 on, above the 3-digit numbers that MSD-E file names
and the benchmark use), with varied expressions and no masks.
"""
import json
import shutil
import time
from pathlib import Path
from typing import Dict, Union

import numpy as np

from mmsde.synthetic import (EXPRESSIONS, GENERATOR_VERSION, make_identity,
                             render_face, restaged)

from .checks import check_min_ints
from .msde_writer import write_png

META_FILE = 'identity_set.json'
# The benchmark's subject numbers have at most 3 digits (see subject_id).
FIRST_FREE_SUBJECT = 1000
# Last entry of the seed sequence of an identity-set image, apart from the
# benchmark's identity, face, mask and second-photo streams.
_IDENTITY_SET_STREAM = 4


def identity_set_meta(num_identities: int, images_per_identity: int,
                      img_size: int, seed: int,
                      first_subject: int = FIRST_FREE_SUBJECT,
                      scene_per_image: bool = False) -> Dict:
    """What defines an identity set's pixels (written to its ``META_FILE``)."""
    check_min_ints(('num_identities', num_identities, 2),
                   ('images_per_identity', images_per_identity, 1),
                   ('img_size', img_size, 24), ('seed', seed, 0))
    if first_subject < FIRST_FREE_SUBJECT:
        raise ValueError(
            f'first_subject must be >= {FIRST_FREE_SUBJECT}, so that no '
            f'identity is a benchmark subject (1..999), got {first_subject}')
    return dict(generator_version=GENERATOR_VERSION,
                num_identities=int(num_identities),
                images_per_identity=int(images_per_identity),
                img_size=int(img_size), seed=int(seed),
                first_subject=int(first_subject),
                scene_per_image=bool(scene_per_image))


def read_identity_set_meta(root: Union[str, Path]) -> Dict:
    """The meta record of the identity set at ``root`` ({} if none)."""
    path = Path(root) / META_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def generate_synthetic_identities(out_dir: Union[str, Path],
                                  num_identities: int = 300,
                                  images_per_identity: int = 12,
                                  img_size: int = 112,
                                  seed: int = 0,
                                  first_subject: int = FIRST_FREE_SUBJECT,
                                  scene_per_image: bool = False,
                                  overwrite: bool = False) -> Dict:
    """Write ``<out_dir>/<subject>/<k>_<expression>.png`` face images.

    Each image shows the folder's identity with an expression drawn at
    random (uniform over the 7 classes), at a random intensity and pose
    jitter; ``META_FILE`` records the parameters and the generator version,
    so a cache can tell whether the set is current. The same arguments give
    byte-identical files.

    Args:
        out_dir: Output root.
        num_identities: Number of people (classes).
        images_per_identity: Images per person.
        img_size: Image side in pixels.
        seed: Seed of the drawing.
        first_subject: Subject number of the first person; >= 1000, so
            that no person is one of the benchmark's subjects.
        scene_per_image: Draw each image's background, shirt, lighting and
            head position anew (:func:`~mmsde.synthetic.restaged`), so that
            only the face tells people apart, as in real face-recognition
            sets; otherwise a person keeps one scene, which a network can
            classify by colour alone.
        overwrite: Replace an existing non-empty ``out_dir``.

    Returns:
        dict: The meta record plus ``root``, ``num_images`` and ``seconds``.
    """
    meta = identity_set_meta(num_identities, images_per_identity, img_size,
                             seed, first_subject, scene_per_image)
    root = Path(out_dir)
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f'Output directory {root} is not empty; use overwrite '
                '(--overwrite) to replace it.')
        shutil.rmtree(root)
    start = time.perf_counter()
    tmp = root.with_name(root.name + '.partial')
    shutil.rmtree(tmp, ignore_errors=True)
    for subject in range(first_subject, first_subject + num_identities):
        ident = make_identity(seed, subject)
        folder = tmp / f'{subject:05d}'
        folder.mkdir(parents=True)
        for k in range(images_per_identity):
            rng = np.random.default_rng(
                [seed, subject, k, _IDENTITY_SET_STREAM])
            label = int(rng.integers(len(EXPRESSIONS)))
            person = restaged(ident, rng) if scene_per_image else ident
            face, _ = render_face(person, label, rng, img_size)
            write_png(folder / f'{k:03d}_{EXPRESSIONS[label]}.png', face)
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + '\n')
    if root.exists():
        root.rmdir()
    tmp.rename(root)  # a set is complete or absent, never half-written
    return dict(**meta, root=str(root),
                num_images=num_identities * images_per_identity,
                seconds=round(time.perf_counter() - start, 2))
