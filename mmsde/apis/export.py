"""Export a trained classifier to ONNX and check the file with onnxruntime.

The exported graph takes the PREPROCESSED batch: float32 NCHW, exactly what
the config's data preprocessor outputs (channels swapped to RGB where it
has ``to_rgb=True``, then ``(pixel - mean) / std``), with a dynamic batch
axis. It returns ``logits`` (N, num_classes) and their softmax ``scores``,
classes in the order of the model's ``dataset_meta`` (for mmsde's FER
models, :data:`~mmsde.utils.classes.FER_CLASSES`). The normalisation
and the class names are stored in the file's metadata (``mean``, ``std``,
``to_rgb``, ``classes``, ``input``) so a deployment can reproduce them.
"""
import json
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from mmsde.utils.checkpoint import load_checkpoint_file
from mmsde.utils.extras import require_extra

from .model import load_classifier

DEFAULT_ATOL = 1e-4
CHECK_BATCH_SIZES = (1, 3)
OUTPUT_NAMES = ('logits', 'scores')
INPUT_NAME = 'inputs'
# torch.export-based exporter's lowest opset; older ones use TorchScript's
DYNAMO_MIN_OPSET = 18


class ExportCheckError(RuntimeError):
    """The ONNX file's outputs differ from PyTorch's beyond the tolerance."""


class ExportArgumentError(ValueError):
    """An input shape or option that the model or exporter can not take."""


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote and measured.

    Attributes:
        path (str): The ONNX file.
        input_shape (tuple): ``(N, C, H, W)`` with N dynamic.
        max_abs_diff (dict): Batch size -> output name -> max
            ``|ONNX - PyTorch|`` on random inputs.
        atol (float): The tolerance that was checked.
        metadata (dict): Preprocessing and classes stored in the file.
    """
    path: str
    input_shape: Tuple[str, int, int, int]
    max_abs_diff: Dict[int, Dict[str, float]] = field(default_factory=dict)
    atol: float = DEFAULT_ATOL
    metadata: Dict[str, str] = field(default_factory=dict)


class LogitsAndScores(nn.Module):
    """A classifier on preprocessed tensors: ``(logits, softmax scores)``.

    Args:
        classifier: An MMPretrain ``ImageClassifier`` (or an mmsde
            algorithm, which predicts like one).
    """

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self,
                inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        logits = self.classifier(inputs, mode='tensor')
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return logits, logits.softmax(dim=1)


def _preprocessor_meta(model: nn.Module) -> Dict[str, object]:
    """mean, std and to_rgb of the model's data preprocessor."""
    pre = model.data_preprocessor
    meta = dict(to_rgb=bool(getattr(pre, 'to_rgb', False)))
    if getattr(pre, '_enable_normalize', False):
        # float32 buffers: 7 significant digits give back the config's
        meta['mean'] = [float(f'{v:.7g}') for v in pre.mean.flatten()]
        meta['std'] = [float(f'{v:.7g}') for v in pre.std.flatten()]
    return meta


def input_channels(model: nn.Module) -> int:
    """Channels the model takes: its preprocessor's mean, else its
    backbone's ``in_channels``, else 3."""
    pre = _preprocessor_meta(model)
    if 'mean' in pre:
        return len(pre['mean'])
    return int(getattr(model.backbone, 'in_channels', 3))


def config_input_size(cfg) -> Optional[Tuple[int, int]]:
    """(H, W) of the last resize/crop of the config's test pipeline.

    Returns:
        The size, or None when the pipeline has no fixed-size step.
    """
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'pipeline', []) or cfg.get('test_pipeline', [])
    size = None
    for step in pipeline:
        kind = step.get('type', '')
        scale = step.get('scale', step.get('crop_size'))
        if kind in ('Resize', 'CenterCrop') and scale is not None:
            w, h = (scale, scale) if isinstance(scale, int) else scale
            size = (int(h), int(w))
    return size


def checkpoint_classes(checkpoint: Optional[str]) -> List[str]:
    """``meta.dataset_meta.classes`` of a checkpoint (MMEngine saves the
    training set's), or [] when it has none."""
    if checkpoint is None:
        return []
    meta = load_checkpoint_file(checkpoint, map_location='cpu').get(
        'meta') or {}
    return list((meta.get('dataset_meta') or {}).get('classes') or [])


def dataset_classes(cfg) -> List[str]:
    """The classes of the config's test dataset type (its ``METAINFO``),
    or [] when it declares none."""
    from mmpretrain.registry import DATASETS
    kind = cfg.get('test_dataloader', {}).get('dataset', {}).get('type')
    dataset = DATASETS.get(kind) if isinstance(kind, str) else None
    return list(getattr(dataset, 'METAINFO', {}).get('classes', ()))


def _check_shape(shape: Sequence[int]) -> Tuple[int, int]:
    if len(shape) != 2 or not all(
            isinstance(s, (int, np.integer)) and s > 0 for s in shape):
        raise ExportArgumentError(
            f'the input shape must be two positive integers H W, got '
            f'{list(shape)!r}')
    return int(shape[0]), int(shape[1])


def _run_torch(module: nn.Module, inputs: torch.Tensor) -> List[np.ndarray]:
    with torch.no_grad():
        return [t.numpy() for t in module(inputs)]


def _to_onnx(module: nn.Module, example: torch.Tensor, out: str,
             opset: Optional[int]) -> None:
    """torch's ``torch.export``-based exporter (opset >= 18), or its
    TorchScript one for older opsets; the batch axis is dynamic."""
    names = dict(input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
                 opset_version=opset)
    if opset is None or opset >= DYNAMO_MIN_OPSET:
        torch.onnx.export(
            module, (example, ), out, dynamo=True, external_data=False,
            verbose=False,
            dynamic_shapes={'inputs': {0: torch.export.Dim('batch', min=1)}},
            **names)
        return
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the exporter's own deprecation
        torch.onnx.export(
            module, (example, ), out, dynamo=False,
            dynamic_axes={n: {0: 'batch'}
                          for n in (INPUT_NAME, ) + OUTPUT_NAMES},
            **names)


def export_model(model: nn.Module,
                 out: str,
                 shape: Tuple[int, int],
                 opset: Optional[int] = None,
                 atol: float = DEFAULT_ATOL,
                 batch_sizes: Sequence[int] = CHECK_BATCH_SIZES,
                 seed: int = 0,
                 classes: Optional[Sequence[str]] = None) -> ExportReport:
    """Export a loaded classifier (eval mode, CPU) and check the file.

    Args:
        model: The classifier, e.g. from
            :func:`~mmsde.apis.model.load_classifier`.
        out: The ONNX file to write (weights inside it).
        shape: Input (H, W).
        opset: ONNX opset; None is torch's default.
        atol: Largest allowed ``|ONNX - PyTorch|`` of logits and scores.
        batch_sizes: Batch sizes checked with onnxruntime (the batch axis
            is dynamic; the file is exported at the first).
        seed: Seed of the random (standard normal) check inputs.
        classes: Class names stored in the metadata; default the model's
            ``dataset_meta``.

    Returns:
        ExportReport: The file, its input shape and the measured differences.

    Raises:
        ExportArgumentError: A bad shape, or one the model can not run on.
        ExportCheckError: An output differs beyond ``atol`` (the file is
            kept for inspection; the message says where it is).
    """
    require_extra('optional', 'onnx', 'onnxruntime', 'onnxscript',
                  what='ONNX export')
    import onnx
    import onnxruntime as ort
    import onnxscript  # noqa: F401  torch's exporter needs it
    h, w = _check_shape(shape)
    channels = input_channels(model)
    module = LogitsAndScores(model.cpu().eval()).eval()
    gen = torch.Generator().manual_seed(seed)
    examples = {b: torch.randn(b, channels, h, w, generator=gen)
                for b in batch_sizes}
    try:
        expected = {b: _run_torch(module, x) for b, x in examples.items()}
    except RuntimeError as err:
        raise ExportArgumentError(
            f'the model does not run on inputs of shape (N, {channels}, {h}, '
            f'{w}): {str(err).splitlines()[0]}; choose another --shape') \
            from None
    _to_onnx(module, examples[batch_sizes[0]], out, opset)
    if classes is None:
        classes = (getattr(model, 'dataset_meta', None) or {}).get(
            'classes', ())
    metadata = dict(_preprocessor_meta(model),
                    classes=list(classes),
                    input=f'float32 NCHW (N, {channels}, {h}, {w}), '
                    'preprocessed: RGB where to_rgb, (pixel - mean) / std')
    proto = onnx.load(out)
    got = {o.domain: o.version for o in proto.opset_import}.get('', None)
    if opset is not None and got != opset:
        raise ExportArgumentError(
            f'{out} was written with opset {got}, not the requested {opset}')
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(proto, out)
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    report = ExportReport(path=str(out), input_shape=('N', channels, h, w),
                          atol=atol, metadata={k: json.dumps(v)
                                               for k, v in metadata.items()})
    for b, x in examples.items():
        got = session.run(list(OUTPUT_NAMES), {INPUT_NAME: x.numpy()})
        report.max_abs_diff[b] = {
            name: float(np.abs(g - e).max())
            for name, g, e in zip(OUTPUT_NAMES, got, expected[b])}
    bad = {b: d for b, d in report.max_abs_diff.items()
           if max(d.values()) > atol}
    if bad:
        raise ExportCheckError(
            f'{out}: onnxruntime differs from PyTorch by more than {atol} '
            f'(max abs difference per batch size and output: {bad})')
    return report


def export_onnx(config: str,
                checkpoint: Optional[str],
                out: str,
                shape: Optional[Sequence[int]] = None,
                opset: Optional[int] = None,
                atol: float = DEFAULT_ATOL,
                cfg_options: Optional[dict] = None) -> ExportReport:
    """Export a trained mmsde/MMPretrain classifier to ONNX and check it.

    The graph takes the preprocessed batch (see the module docstring) and
    returns ``logits`` and ``scores``; onnxruntime runs it on the same
    random inputs as PyTorch at batch sizes 1 and 3.

    Args:
        config: The run's config file.
        checkpoint: Its checkpoint (loaded strictly); None keeps the
            initial weights.
        out: The ONNX file to write.
        shape: Input (H, W); default the test pipeline's resize/crop size.
        opset: ONNX opset; None is torch's default.
        atol: Largest allowed ``|ONNX - PyTorch|`` of logits and scores.
        cfg_options: Overrides merged into the config.

    Returns:
        ExportReport: See :func:`export_model`.

    Raises:
        ExportArgumentError: No shape given and none in the config, or one
            the model can not run on.
        ExportCheckError: The ONNX outputs differ beyond ``atol``.
    """
    model, cfg = load_classifier(config, checkpoint, cfg_options=cfg_options)
    classes = checkpoint_classes(checkpoint) or dataset_classes(cfg)
    if shape is None:
        shape = config_input_size(cfg)
        if shape is None:
            raise ExportArgumentError(
                f'{config}: the test pipeline has no Resize/CenterCrop size; '
                'give the input size with --shape H W')
    return export_model(model, out, tuple(shape), opset=opset, atol=atol,
                        classes=classes)
