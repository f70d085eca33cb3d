"""Loading of face images held in memory or stored as files.

Table datasets (FER2013, FERPlus) keep their pixels in memory, in the
sample's ``img``, while their masked copies are image files. A sample may
thus arrive with its image or with only ``img_path``: :class:`LoadFaceImage`
uses the image when it is there and otherwise loads the file exactly as
MMCV's ``LoadImageFromFile`` does, so that one pipeline serves both.
"""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


def as_color_type(img: np.ndarray,
                  color_type: str = 'color',
                  to_float32: bool = False) -> np.ndarray:
    """An in-memory image in the layout ``LoadImageFromFile`` decodes a file
    to with the same options.

    With a ``'color'`` flag (the default) a grey image (H, W) or (H, W, 1)
    becomes 3-channel BGR, the grey value repeated, as FER2013's samples; a
    ``'grayscale'`` flag turns a 3-channel BGR image grey; other images and
    ``'unchanged'`` are kept as they are.

    Args:
        img (np.ndarray): The image, (H, W) or (H, W, C), BGR order.
        color_type (str): ``color_type`` of ``LoadImageFromFile``.
            Defaults to ``'color'``.
        to_float32 (bool): Convert to float32. Defaults to False.

    Returns:
        np.ndarray: The image; a new array where it was converted.
    """
    if color_type.startswith('color'):
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim == 3 and img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
    elif color_type.startswith('grayscale') and img.ndim == 3:
        if img.shape[2] == 3:
            img = mmcv.bgr2gray(img)
        elif img.shape[2] == 1:
            img = img[..., 0]
    if to_float32:
        img = img.astype(np.float32)
    return img


@TRANSFORMS.register_module()
class LoadFaceImage(BaseTransform):
    """Use the image a sample holds in memory, or load it from its file.

    When ``results['img']`` is an array (FER2013's and FERPlus's non-masked
    faces) it is used, in the layout the file loader would give (see
    :func:`as_color_type`: by default a grey (H, W) array becomes 3-channel
    BGR with the grey value repeated); otherwise the sample is passed to
    MMCV's ``LoadImageFromFile`` built with the same options, which reads
    ``img_path`` (the masked copies, image datasets). Either way the models
    see 3-channel images, and ``views='both'`` mixes the two kinds.

    Required keys: ``img`` (an array) or ``img_path``.
    Added keys: ``img``, ``img_shape``, ``ori_shape``.

    Args:
        **load_kwargs: Options of MMCV's ``LoadImageFromFile``
            (e.g. ``color_type``, ``to_float32``, ``backend_args``).
    """

    def __init__(self, **load_kwargs) -> None:
        self.load_kwargs = load_kwargs
        self.loader = TRANSFORMS.build(
            dict(type='LoadImageFromFile', **load_kwargs))

    def transform(self, results: dict) -> Optional[dict]:
        img = results.get('img')
        if img is None:
            return self.loader(results)
        if not isinstance(img, np.ndarray):
            raise TypeError(
                f'LoadFaceImage needs results["img"] to be an array or None '
                f'(load from img_path), got {type(img).__name__}; load '
                'paired samples with LoadImagePair')
        img = as_color_type(img, self.loader.color_type,
                            self.loader.to_float32)
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.load_kwargs})'
