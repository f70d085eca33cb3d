"""Draw a synthetic face mask in a data pipeline (:mod:`mmsde.synthetic`)."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpretrain.registry import TRANSFORMS

from mmsde.synthetic import MASK_STYLES, check_mask_styles, draw_face_mask

from ..crop_manifest import crop_landmarks


@TRANSFORMS.register_module()
class SyntheticFaceMask(BaseTransform):
    """Draw a synthetic face mask on the image with probability ``prob``.

    A way to make masked training data from non-masked faces, as in the
    synthetic-mask masked-FER literature, alongside MSD-E's real masks
    (https://arxiv.org/abs/2304.03867). The mask follows 5-point landmarks
    when the results hold them, else those that ``crop_manifest`` (written
    by :func:`mmsde.apis.crop_faces`) recorded for the image, else the
    ArcFace template scaled to the image (aligned crops). Randomness comes
    from numpy's global generator.

    Required Keys:

    - img

    Modified Keys:

    - img
    - masked

    Args:
        prob (float): Probability of drawing a mask. Defaults to 1.0.
        styles (Sequence[str]): Mask styles to choose from uniformly, any of
            ``'surgical'``, ``'cloth'``, ``'n95'``. Defaults to all three.
        landmarks_key (str): Results key of optional ``(5, 2)`` landmarks.
            Defaults to ``'landmarks'``.
        crop_manifest (str, optional): ``manifest.jsonl`` of the cropped
            photos; their landmarks are looked up by ``img_path``.
    """

    def __init__(self,
                 prob: float = 1.0,
                 styles: Sequence[str] = MASK_STYLES,
                 landmarks_key: str = 'landmarks',
                 crop_manifest: Optional[str] = None):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}.')
        self.prob = prob
        self.styles = check_mask_styles(styles)
        self.landmarks_key = landmarks_key
        self.crop_manifest = crop_manifest
        self._manifest_landmarks = {}
        if crop_manifest is not None:
            self._manifest_landmarks = crop_landmarks(crop_manifest)

    @cache_randomness
    def _random_params(self) -> Tuple[bool, str, int]:
        """Draw whether to mask, the style and a seed for the drawing."""
        apply = np.random.rand() < self.prob
        style = self.styles[np.random.randint(len(self.styles))]
        seed = np.random.randint(0, 2**31 - 1)
        return bool(apply), style, seed

    def transform(self, results: Dict) -> Dict:
        """Draw a mask on ``results['img']`` and mark it ``masked``.

        Args:
            results (dict): Result dict holding ``img``.

        Returns:
            dict: The result dict; ``masked`` is True where a mask was drawn
            and keeps its value (False when absent) otherwise.
        """
        apply, style, seed = self._random_params()
        if not apply:
            results.setdefault('masked', False)
            return results
        landmarks = results.get(self.landmarks_key)
        if landmarks is None and 'img_path' in results:
            landmarks = self._manifest_landmarks.get(
                osp.realpath(results['img_path']))
        results['img'] = draw_face_mask(
            results['img'],
            landmarks,
            style=style,
            rng=np.random.default_rng(seed))
        results['masked'] = True
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'styles={self.styles}, '
                f"landmarks_key='{self.landmarks_key}', "
                f'crop_manifest={self.crop_manifest!r})')
