"""Helpers shared by the multi-view classifiers."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

PreprocessorCfg = Optional[Union[dict, nn.Module]]


def paired_preprocessor(data_preprocessor: PreprocessorCfg
                        ) -> Union[dict, nn.Module]:
    """Default the data preprocessor to ``PairedClsDataPreprocessor``.

    Args:
        data_preprocessor: A config dict (its ``type`` may be left out), a
            module, or ``None``.

    Returns:
        dict | nn.Module: The config with a ``type``, or the module.
    """
    if data_preprocessor is None or isinstance(data_preprocessor, dict):
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'PairedClsDataPreprocessor')
    return data_preprocessor


def split_views(inputs: Union[torch.Tensor, List[torch.Tensor]],
                owner: str,
                num_views: Optional[int] = None) -> List[torch.Tensor]:
    """The per-view batches of a multi-view batch.

    Args:
        inputs: ``[batch_view0, batch_view1, ...]`` as given by
            ``PairedClsDataPreprocessor``, or one tensor (a single view).
        owner: The model's name, for error messages.
        num_views: The number of views required, if any.

    Returns:
        list[torch.Tensor]: One ``[B, C, H, W]`` tensor per view.
    """
    views = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
    if num_views is not None and len(views) != num_views:
        raise ValueError(
            f'{owner}.loss needs {num_views} views per sample '
            f'([non_masked, masked]), got {len(views)}: train on '
            "views='paired' with LoadImagePair, PairedTransform and "
            'PairedClsDataPreprocessor')
    shapes = {tuple(v.shape) for v in views}
    if len(shapes) != 1:
        raise ValueError(f'{owner}.loss: the views differ in shape: '
                         f'{[tuple(v.shape) for v in views]}')
    return views


def suffix_losses(losses: Dict[str, torch.Tensor],
                  name: str) -> Dict[str, torch.Tensor]:
    """Name a head's losses for the log: ``loss`` -> ``loss_<name>``,
    any other key ``k`` -> ``<k>_<name>``.

    Args:
        losses: The dict returned by a head's ``loss``.
        name: What the losses are of, e.g. ``'cls_masked'``.

    Returns:
        dict[str, torch.Tensor]: The renamed losses.
    """
    return {(f'loss_{name}' if key == 'loss' else f'{key}_{name}'): value
            for key, value in losses.items()}


def build_module(cfg: Optional[Union[dict, nn.Module]]
                 ) -> Optional[nn.Module]:
    """Build a config dict from ``MODELS``; pass a module or ``None``."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(cfg)
