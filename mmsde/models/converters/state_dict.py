"""Checks of state dicts against the model they are meant for, shared by the
weight converters and by the loading of frozen models (a teacher): every
missing, unexpected and mis-shaped key is named, nothing is half-loaded."""
from typing import Dict, Mapping

import torch

from mmsde.utils.checkpoint import load_checkpoint_file

BACKBONE_PREFIX = 'backbone.'
PARALLEL_PREFIX = 'module.'
BN_COUNTER = 'num_batches_tracked'


class CheckpointMismatchError(ValueError):
    """A checkpoint's tensors do not fit the model they are meant for."""


def tensor_shape(value: object) -> tuple:
    """Shape of a tensor; ``('not a tensor: <type>',)`` for anything else.

    Args:
        value: A state dict value.

    Returns:
        tuple: The shape, or a one-element tuple describing a non-tensor.
    """
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    return (f'not a tensor: {type(value).__name__}', )


def strip_prefix(state_dict: Mapping[str, torch.Tensor],
                 prefix: str = PARALLEL_PREFIX) -> Dict[str, torch.Tensor]:
    """Remove a leading ``prefix`` (DataParallel's ``module.``) from keys.

    Args:
        state_dict: Tensors by name.
        prefix: The prefix to remove where a key starts with it.

    Returns:
        dict: The same tensors, keys without the prefix.
    """
    return {
        key[len(prefix):] if key.startswith(prefix) else key: value
        for key, value in state_dict.items()
    }


def unwrap_state_dict(checkpoint: object, source: str) -> Dict:
    """Find the state dict inside a loaded checkpoint.

    Args:
        checkpoint: What ``torch.load`` returned: ``{'state_dict': ...,
            'epoch': ...}`` or a plain state dict.
        source: The file name, for error messages.

    Returns:
        dict: Tensors by name, ``module.`` prefix removed.

    Raises:
        CheckpointMismatchError: No tensors were found.
    """
    if not isinstance(checkpoint, Mapping):
        raise CheckpointMismatchError(
            f'{source}: expected a dict, got {type(checkpoint).__name__}.')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, Mapping) or not any(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise CheckpointMismatchError(
            f'{source}: found no tensors, neither under "state_dict" nor at '
            f'the top level (keys: {sorted(checkpoint)[:10]}).')
    return strip_prefix(state_dict)


def check_keys(state_dict: Mapping, expected: Mapping[str, tuple],
               header: str) -> None:
    """Refuse a state dict whose keys or shapes differ from ``expected``.

    Args:
        state_dict: The tensors to check.
        expected: Key to shape.
        header: First line of the error.

    Raises:
        CheckpointMismatchError: ``header``, then every missing, unexpected
            and mis-shaped key.
    """
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = [
        f'{k}: checkpoint {tensor_shape(state_dict[k])} vs model {shape}'
        for k, shape in expected.items()
        if k in state_dict and tensor_shape(state_dict[k]) != shape
    ]
    if missing or unexpected or mismatched:
        lines = [header]
        for label, keys in (('missing keys', missing),
                            ('unexpected keys', unexpected),
                            ('shape mismatches', mismatched)):
            if keys:
                lines.append(f'{label} ({len(keys)}): {keys}')
        raise CheckpointMismatchError('\n'.join(lines))


def load_state_dict_exactly(model: torch.nn.Module, filename: str,
                            what: str = 'model') -> None:
    """Load a checkpoint file into ``model``, refusing any mismatch.

    Unlike MMEngine's ``load_checkpoint`` (which warns and goes on), a
    checkpoint whose keys or shapes differ from the model's stops here with
    every missing, unexpected and mis-shaped key named. Use it where a
    silently half-loaded model would go unnoticed, e.g. a frozen teacher.

    Args:
        model: The model to fill.
        filename: A checkpoint the user named (an MMEngine checkpoint or a
            plain state dict; DataParallel's ``module.`` prefix is removed).
        what: What the model is, for messages (e.g. ``'teacher config
            configs/x.py'``).

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        CheckpointMismatchError: The checkpoint does not fit ``model``.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    state_dict = unwrap_state_dict(checkpoint, filename)
    expected = model.state_dict()
    check_keys(state_dict, {k: tensor_shape(v) for k, v in expected.items()},
               f'checkpoint {filename} does not fit the {what}:')
    model.load_state_dict(state_dict, strict=True)
