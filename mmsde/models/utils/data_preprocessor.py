"""A classification data preprocessor for single images and image pairs."""
from typing import List, Optional, Sequence, Union

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS

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

    Used by the paired algorithms of MSD-E
    (`arXiv:2304.03867 <https://arxiv.org/abs/2304.03867>`_). Arguments are
    those of :class:`ClsDataPreprocessor`.
    """

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
            return super().forward(data, training)
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
        return dict(
            inputs=[out['inputs'] for out in outputs],
            data_samples=outputs[0]['data_samples'])


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
