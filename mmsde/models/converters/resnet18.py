"""Conversion of torchvision-style ResNet-18 weights to MMPretrain.

MSD-E (https://arxiv.org/abs/2304.03867) starts from the ResNet-18 that the
RAN and SCN FER projects pre-trained on MS-Celeb-1M
(``ijba_res18_naive.pth.tar``: ``{'state_dict': ...}`` with torchvision keys
under DataParallel's ``module.`` prefix). torchvision's own ``resnet18``
weights use the same keys without a prefix. MMPretrain's
``ResNet(depth=18)`` names its parameters as torchvision does, so the
conversion strips ``module.``, drops the source's classifier, adds
``backbone.`` and checks every tensor against a freshly built MMPretrain
ResNet-18 before anything is written.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Tuple

import mmengine
import torch
from mmpretrain.models import ResNet

from mmsde.utils.checkpoint import load_checkpoint_file

from .state_dict import (BACKBONE_PREFIX, BN_COUNTER, CheckpointMismatchError,
                         tensor_shape, unwrap_state_dict)


@dataclass
class ConversionReport:
    """Result of converting a ResNet-18 state dict.

    Attributes:
        state_dict (dict): Converted tensors under MMPretrain's keys
            (``backbone.conv1.weight`` ...).
        dropped (list[str]): Source keys outside the backbone (its
            classifier ``fc.*`` and any other head), left out.
        filled (list[str]): BatchNorm ``num_batches_tracked`` counters that
            the source lacks (checkpoints saved before PyTorch 0.4.1), set
            to 0; they are not used by the forward pass.
        source_shapes (dict): Shape of every source key, for the report.
    """
    state_dict: Dict[str, torch.Tensor]
    dropped: List[str] = field(default_factory=list)
    filled: List[str] = field(default_factory=list)
    source_shapes: Dict[str, Tuple[int, ...]] = field(default_factory=dict)


def resnet18_reference() -> Dict[str, Tuple[int, ...]]:
    """Names and shapes of a freshly built MMPretrain ``ResNet(depth=18)``.

    Returns:
        dict: Backbone key (without ``backbone.``) to shape, in model order.
    """
    return {
        key: tuple(value.shape)
        for key, value in ResNet(depth=18).state_dict().items()
    }


def _mismatch_message(source: str, missing: List[str],
                      mismatched: List[str], extra_backbone: List[str],
                      state_dict: Mapping) -> str:
    """Error text naming every key that blocks the conversion."""
    lines = [f'{source} does not fit MMPretrain ResNet(depth=18); '
             'nothing was written.']
    if missing:
        lines.append(f'missing keys ({len(missing)}): {missing}')
        if len(missing) > len(state_dict) // 2:
            lines.append('the checkpoint has keys such as '
                         f'{sorted(state_dict)[:5]}')
    if mismatched:
        lines.append(f'shape mismatches ({len(mismatched)}): {mismatched}')
    if extra_backbone:
        lines.append('unexpected backbone keys, a different depth or block '
                     f'type? ({len(extra_backbone)}): {extra_backbone}')
    return '\n'.join(lines)


def convert_resnet18(state_dict: Mapping[str, torch.Tensor],
                     source: str = 'checkpoint') -> ConversionReport:
    """Map a torchvision-style ResNet-18 state dict to MMPretrain's keys.

    Every key of MMPretrain's ``ResNet(depth=18)`` must be present with its
    shape; missing ``num_batches_tracked`` counters are filled with 0. Keys
    outside the backbone (``fc.*``, other heads) are dropped and reported;
    extra keys inside it (``layer1.2.*`` of a ResNet-34, say) are errors.

    Args:
        state_dict: Tensors under torchvision's names (``conv1.weight``,
            ``layer1.0.downsample.0.weight`` ...), without ``module.``.
        source: Name of the checkpoint, for messages.

    Returns:
        ConversionReport: Tensors under ``backbone.*`` and what was dropped
        or filled.

    Raises:
        CheckpointMismatchError: A key is missing, has the wrong shape, or
            belongs to the backbone but not to ResNet-18; the message names
            each such key.
    """
    reference = resnet18_reference()
    stages = {key.split('.')[0] for key in reference}
    missing, mismatched, filled = [], [], []
    converted: Dict[str, torch.Tensor] = {}
    for key, shape in reference.items():
        if key not in state_dict:
            if key.endswith(BN_COUNTER):
                converted[BACKBONE_PREFIX + key] = torch.tensor(0)
                filled.append(key)
            else:
                missing.append(key)
        elif tensor_shape(state_dict[key]) != shape:
            mismatched.append(f'{key}: checkpoint '
                              f'{tensor_shape(state_dict[key])} vs ResNet-18 '
                              f'{shape}')
        else:
            converted[BACKBONE_PREFIX + key] = state_dict[key]
    extra = [key for key in state_dict if key not in reference]
    extra_backbone = [k for k in extra if k.split('.')[0] in stages]
    if missing or mismatched or extra_backbone:
        raise CheckpointMismatchError(
            _mismatch_message(source, missing, mismatched, extra_backbone,
                              state_dict))
    return ConversionReport(
        state_dict=converted,
        dropped=extra,
        filled=filled,
        source_shapes={k: tensor_shape(v)
                       for k, v in state_dict.items()})


def convert_resnet18_checkpoint(src: str, dst: str) -> ConversionReport:
    """Convert a ResNet-18 checkpoint file into an MMPretrain checkpoint.

    The output, ``{'state_dict': {'backbone.*': ...}, 'meta': {...}}``,
    loads as ``init_cfg=dict(type='Pretrained', checkpoint=dst,
    prefix='backbone.')`` of a ``ResNet`` backbone, or as ``load_from`` of an
    ``ImageClassifier`` (its head stays as initialised). It holds only
    tensors and plain Python values, so ``torch.load(weights_only=True)``
    reads it.

    Args:
        src: ``ijba_res18_naive.pth.tar`` (MS-Celeb-1M, ``module.`` keys under
            ``state_dict``) or a torchvision ``resnet18`` state dict file.
        dst: Output path (``.pth``); its folder is created.

    Returns:
        ConversionReport: What was converted, dropped and filled.

    Raises:
        FileNotFoundError: ``src`` does not exist.
        CheckpointMismatchError: ``src`` does not fit ResNet-18 (see
            :func:`convert_resnet18`); ``dst`` is not written.
    """
    checkpoint = load_checkpoint_file(src, map_location='cpu')
    name = osp.basename(src)
    report = convert_resnet18(unwrap_state_dict(checkpoint, name), name)
    meta = dict(
        converted_from=name,
        converter='mmsde.models.converters.resnet18.convert_resnet18',
        dropped_keys=list(report.dropped),
        filled_keys=list(report.filled))
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(dst)))
    torch.save(dict(state_dict=report.state_dict, meta=meta), dst)
    return report


def format_report(report: ConversionReport) -> str:
    """Human-readable summary of a conversion, for the command line.

    Args:
        report: The conversion's result.

    Returns:
        str: Counts, then the dropped and filled keys by name.
    """
    lines = [f'converted {len(report.state_dict)} tensors to '
             f'{BACKBONE_PREFIX}* (MMPretrain ResNet-18)']
    for key in report.dropped:
        lines.append(f'dropped (not in the backbone): {key} '
                     f'{report.source_shapes.get(key, ())}')
    for key in report.filled:
        lines.append(f'filled with 0 (absent in the source): {key}')
    return '\n'.join(lines)
