"""A classification data preprocessor for single images and image pairs."""
from typing import List, Optional, Sequence, Union

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS

from .batch_augments import augment_views, build_batch_augments

Inputs = Union[torch.Tensor, Sequence]


@MODELS.register_module()
class PairedClsDataPreprocessor(ClsDataPreprocessor):
    """:class:`ClsDataPreprocessor` that also takes multi-view batches.

    MMPretrain's ``ClsDataPreprocessor`` treats a list as a batch of single
    images and its ``SelfSupDataPreprocessor`` needs ``default_collate`` and
    leaves the labels alone. This subclass handles both kinds of batch:

    - single images (a stacked tensor, or a list of ``CHW`` tensors from
      ``pseudo_collate``): exactly ``ClsDataPreprocessor``, ``inputs`` is a
      tensor;
    - multi-view samples such as the ``[non_masked, masked]`` pairs packed
      by ``PackInputs`` after ``LoadImagePair``/``PairedTransform``; both
      MMEngine collates put them view-major (``pseudo_collate``: one
      sequence of ``CHW`` tensors per view; ``default_collate``: one
      stacked tensor per view): each view is processed by
      ``ClsDataPreprocessor`` and ``inputs`` becomes the list
      ``[batch_view0, batch_view1, ...]``, e.g. ``[batch_nm, batch_m]``.

    Batch augmentations (Mixup, CutMix) would draw different mixes for the
    two views of a pair, so they are refused for multi-view training batches.
    ``device_augments`` (e.g. ``BatchFlip``, ``BatchColorJitter``,
    ``BatchShiftScaleRotate`` of :mod:`mmsde.models.utils.batch_augments`)
    run on training batches where the batch is (the GPU), on pixel values,
    with one draw per sample shared by its views: a fast replacement of the
    per-image CPU augmentations.

    Used by the paired algorithms of MSD-E
    (`arXiv:2304.03867 <https://arxiv.org/abs/2304.03867>`_).

    Args:
        device_augments (Sequence[dict], optional): Batch augmentations
            applied in order to training batches. Defaults to None.
        **kwargs: Arguments of :class:`ClsDataPreprocessor`.
    """

    def __init__(self,
                 device_augments: Optional[Sequence[dict]] = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.device_augments = build_batch_augments(device_augments or [])

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise, pad and convert each view; set labels once.

        See `arXiv:2304.03867 <https://arxiv.org/abs/2304.03867>`_.

        Args:
            data: A batch from the dataloader (``inputs``, ``data_samples``).
            training: Whether this is a training batch.

        Returns:
            dict: ``inputs`` (a tensor, or a list of one tensor per view)
            and ``data_samples``.
        """
        views = split_view_batches(data['inputs'])
        if views is None:
            out = super().forward(data, training)
            if training and self.device_augments:
                out['inputs'] = self.augment([out['inputs']])[0]
            return out
        if training and self.batch_augments is not None:
            raise ValueError(
                f'{type(self).__name__}: batch_augments '
                f'({self.batch_augments}) would mix the {len(views)} views '
                'of a sample differently; drop them for multi-view training')
        data_samples = data.get('data_samples')
        outputs = [
            super(PairedClsDataPreprocessor, self).forward(
                dict(inputs=view, data_samples=data_samples), training)
            for view in views
        ]
        inputs = [out['inputs'] for out in outputs]
        if training and self.device_augments:
            inputs = self.augment(inputs)
        return dict(inputs=inputs, data_samples=outputs[0]['data_samples'])

    def augment(self, views: List[torch.Tensor]) -> List[torch.Tensor]:
        """Run ``device_augments`` on normalised views, in pixel values."""
        if self._enable_normalize:
            views = [v * self.std + self.mean for v in views]
        views = augment_views(self.device_augments, views)
        if self._enable_normalize:
            views = [(v - self.mean) / self.std for v in views]
        return views


def split_view_batches(inputs: Inputs) -> Optional[List[Inputs]]:
    """Split a collated multi-view batch into one batch per view.

    Args:
        inputs: ``data['inputs']`` as collated by MMEngine's
            ``pseudo_collate`` or ``default_collate``.

    Returns:
        list | None: One batch (a tensor or a list of ``CHW`` tensors) per
        view, or ``None`` for a batch of single images.
    """
    if isinstance(inputs, torch.Tensor) or len(inputs) == 0:
        return None
    first = inputs[0]
    if isinstance(first, torch.Tensor):
        # default_collate of multi-view samples: one [B, C, H, W] per view;
        # pseudo_collate of single images: a list of [C, H, W]
        return list(inputs) if first.dim() == 4 else None
    # pseudo_collate of multi-view samples: one sequence of [C, H, W] per view
    sizes = {len(view) for view in inputs}
    if len(sizes) != 1:
        raise ValueError(f'multi-view batch whose views hold different '
                         f'numbers of images: {[len(v) for v in inputs]}')
    return [list(view) for view in inputs]
