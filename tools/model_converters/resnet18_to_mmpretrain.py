"""Convert a ResNet-18 checkpoint into an MMPretrain backbone checkpoint.

Example::

    python tools/model_converters/resnet18_to_mmpretrain.py \\
        checkpoints/ijba_res18_naive.pth.tar \\
        checkpoints/resnet18_msceleb_mmpretrain.pth

then in a config::

    model = dict(backbone=dict(init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='checkpoints/resnet18_msceleb_mmpretrain.pth')))
"""
import argparse

from mmsde.models.converters import (CheckpointMismatchError,
                                     convert_resnet18_checkpoint,
                                     format_report)
from mmsde.utils import add_trust_argument


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert a torchvision-style ResNet-18 checkpoint (the '
        'MS-Celeb-1M ijba_res18_naive.pth.tar, or torchvision resnet18 '
        'weights) into MMPretrain keys (backbone.*). The classifier (fc) is '
        'dropped; the tensors are checked against MMPretrain ResNet-18.')
    parser.add_argument('src', help='source checkpoint (.pth.tar / .pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    """Convert, print the report, exit 1 with the reason on a mismatch."""
    args = parse_args()
    try:
        report = convert_resnet18_checkpoint(args.src, args.dst)
    except (CheckpointMismatchError, FileNotFoundError) as err:
        raise SystemExit(f'error: {err}')
    print(format_report(report))
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
