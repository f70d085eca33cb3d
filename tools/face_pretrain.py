"""Pretrain a backbone by face-identity classification once, and cache it.

The cached backbone (keyed by the synthetic generator's version and the
config) is what ``face-pretrain://CONFIG`` checkpoints in FER configs load.

Examples:
    python tools/face_pretrain.py \\
        configs/face_pretrain/resnet18_1xb64-adam-4e_synthetic-identities-64px.py
    python tools/face_pretrain.py \\
        configs/face_pretrain/resnet18_1xb256-sgd-20e_face-identities.py \\
        --cfg-options train_dataloader.dataset.data_root=data/casia \\
        model.head.num_classes=10575
"""
import argparse

from mmengine.config import DictAction

from mmsde.apis import cached_backbone_path, pretrain_faces


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--work-dir', help='the training run\'s folder')
    parser.add_argument('--force', action='store_true',
                        help='train again even if the backbone is cached')
    parser.add_argument('--print-path', action='store_true',
                        help='only print where the backbone is cached')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    target = cached_backbone_path(args.config, args.cfg_options)
    if args.print_path:
        print(target)
        return
    cached = target.is_file() and not args.force
    path = pretrain_faces(args.config, args.cfg_options, args.work_dir,
                          args.force)
    state = 'cached' if cached else 'trained and cached'
    print(f'[face_pretrain] backbone {state}: {path}')


if __name__ == '__main__':
    main()
