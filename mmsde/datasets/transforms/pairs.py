"""Transforms for paired samples: two images of one face,
``[non_masked, masked]``.

A paired sample's ``img_path`` (and, after loading, ``img``) is a list of two
entries in that fixed order; a sample may already hold some of its images in
memory (``img``, None for a side read from file). :class:`LoadImagePair`
loads both and :class:`PairedTransform` runs any MMPretrain/MMCV pipeline on
each image with the same random draws, so that flips, crops, colour and
affine parameters are identical for the two images. ``PackInputs`` then
packs the list as a list of two tensors, like MMPretrain's multi-view inputs.
"""
import random
from copy import deepcopy
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose
from mmpretrain.registry import TRANSFORMS

from .loading import LoadFaceImage

#: Keys that every view shares after the inner pipeline (geometry metadata).
_SHARED_KEYS = ('img_shape', 'ori_shape', 'scale_factor', 'flip',
                'flip_direction')


class _RandomState:
    """Snapshot of Python's, NumPy's and torch's global random generators."""

    def __init__(self) -> None:
        self.python = random.getstate()
        self.numpy = np.random.get_state()
        self.torch = torch.get_rng_state()

    def restore(self) -> None:
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        torch.set_rng_state(self.torch)


@TRANSFORMS.register_module()
class LoadImagePair(BaseTransform):
    """Load the two images of a paired sample.

    Each image is taken from ``results['img']`` when the sample holds it in
    memory (FERPlus's non-masked faces), in the layout the file loader
    would give (a grey (H, W) array becomes 3-channel BGR, see
    :class:`LoadFaceImage`), and otherwise loaded from its path with MMCV's
    ``LoadImageFromFile``.

    Required keys: ``img_path`` (a list of two paths); optionally ``img``
    (a list of two entries, each an array or None to load from its path).
    Added keys: ``img`` (a list of two arrays), ``img_shape``, ``ori_shape``.

    Args:
        **load_kwargs: Options of MMCV's ``LoadImageFromFile``
            (e.g. ``color_type``, ``backend_args``).
    """

    def __init__(self, **load_kwargs) -> None:
        self.load_kwargs = load_kwargs
        self.loader = LoadFaceImage(**load_kwargs)

    def transform(self, results: dict) -> Optional[dict]:
        paths = results['img_path']
        if isinstance(paths, str) or len(paths) != 2:
            raise ValueError(
                f'LoadImagePair needs img_path = [non_masked, masked], got '
                f'{paths!r}; use LoadImageFromFile for single images')
        given = results.get('img')
        if given is None:
            given = [None, None]
        elif (not isinstance(given, (list, tuple)) or len(given) != 2
              or not all(img is None or isinstance(img, np.ndarray)
                         for img in given)):
            raise ValueError(
                'LoadImagePair needs img = [non_masked, masked] (each an '
                f'array, or None to load it from img_path {paths!r}), got '
                f'{_describe(given)}; use LoadFaceImage for single images')
        images = []
        for img, path in zip(given, paths):
            view = self.loader(dict(img_path=path, img=img))
            if view is None:  # ignore_empty and an unreadable file
                return None
            images.append(view['img'])
        shapes = {img.shape[:2] for img in images}
        if len(shapes) != 1:
            raise ValueError(f'the two images of pair {paths} differ in size '
                             f'({[img.shape[:2] for img in images]})')
        results['img'] = images
        results['img_shape'] = results['ori_shape'] = images[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.load_kwargs})'


@TRANSFORMS.register_module()
class PairedTransform(BaseTransform):
    """Run a pipeline on every image of ``results['img']``, by default with
    the same random draws.

    With ``share_draws=True`` the global Python, NumPy and torch generators
    are put back to the same state before each image, so every random
    transform inside (flip, crop, colour jitter, affine, RandAugment...)
    picks the same parameters for all images, and afterwards they are left
    as after one run: the views stay pixel-aligned, as feature-map losses
    between them need (the paired MSE of MSD-E's code, feature
    distillation). With ``share_draws=False`` each image gets its own draws,
    the two augmented views of SupCon (Khosla et al. 2020): a pair whose
    views share every draw is nearly one image seen twice, half the
    augmentation of the same images drawn apart (the "Sanity ablations"
    of docs/en/results.md measure what that costs).

    Args:
        transforms: The pipeline applied to each image.
        share_draws: Give all images the same random draws.
    """

    def __init__(self, transforms: Sequence[dict],
                 share_draws: bool = True) -> None:
        self.pipeline = build_pipeline(transforms)
        self.share_draws = share_draws

    def transform(self, results: dict) -> Optional[dict]:
        images: List[np.ndarray] = results['img']
        if not isinstance(images, (list, tuple)):
            raise TypeError('PairedTransform needs results["img"] to be a '
                            'list of images; load pairs with LoadImagePair')
        state = _RandomState() if self.share_draws else None
        outputs = []
        for image in images:
            if state is not None:
                state.restore()
            view = self.pipeline(dict(deepcopy(_without_img(results)),
                                      img=image))
            if view is None:
                return None
            outputs.append(view)
        results.update(
            {k: outputs[0][k]
             for k in _SHARED_KEYS if k in outputs[0]})
        results['img'] = [view['img'] for view in outputs]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.pipeline}, '
                f'share_draws={self.share_draws})')


def build_pipeline(transforms: Sequence) -> Compose:
    """Compose transforms, building config dicts from MMPretrain's registry
    (whatever the current default scope)."""
    return Compose([
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms
    ])


def _describe(images) -> str:
    """Short description of a malformed ``img`` entry, for messages."""
    if isinstance(images, (list, tuple)):
        return (f'a {type(images).__name__} of {len(images)}: '
                f'{[type(img).__name__ for img in images]}')
    return type(images).__name__


def _without_img(results: dict) -> dict:
    return {k: v for k, v in results.items() if k != 'img'}
