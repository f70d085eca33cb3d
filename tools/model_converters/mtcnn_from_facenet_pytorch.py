"""Convert MTCNN's weights from the facenet-pytorch 2.6.0 wheel (MIT).

Writes one MMEngine checkpoint for ``MTCNNFaceDetector``
(``configs/face_detection/mtcnn_facenet-pytorch-weights.py``), with the
wheel's licence beside it. Without a wheel, it is fetched with
``pip download --no-deps facenet-pytorch==2.6.0``; facenet-pytorch itself is
never installed.

Example::

    python tools/model_converters/mtcnn_from_facenet_pytorch.py
    python tools/model_converters/mtcnn_from_facenet_pytorch.py \\
        facenet_pytorch-2.6.0-py3-none-any.whl --out mtcnn.pth --force
"""
import argparse
import os.path as osp

from mmsde.models.converters import CheckpointMismatchError
from mmsde.models.converters.mtcnn import (convert_mtcnn_wheel,
                                           mtcnn_checkpoint_path)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('wheel', nargs='?',
                        help='facenet_pytorch-2.6.0-py3-none-any.whl '
                        '(downloaded with pip when omitted)')
    parser.add_argument('--out', help='output checkpoint (default: '
                        f'{mtcnn_checkpoint_path()})')
    parser.add_argument('--force', action='store_true',
                        help='convert again even if the output exists')
    return parser.parse_args()


def main() -> None:
    """Convert, or say that the checkpoint is already there."""
    args = parse_args()
    dst = args.out or mtcnn_checkpoint_path()
    existed = not args.force and osp.isfile(dst)
    try:
        path = convert_mtcnn_wheel(args.wheel, args.out, force=args.force)
    except (CheckpointMismatchError, FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f'error: {err}')
    print(f'{"kept existing" if existed else "saved"} {path}')


if __name__ == '__main__':
    main()
