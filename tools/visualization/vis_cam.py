"""Class activation maps (Grad-CAM and the grad-cam package's other
methods) of one or several classifiers on the same non-masked | masked test
pairs, side by side.

Examples:
    python tools/visualization/vis_cam.py CONFIG CKPT
    python tools/visualization/vis_cam.py BASE_CFG BASE_CKPT \\
        --model PARADIGM_CFG PARADIGM_CKPT --names baseline paired-mse \\
        --method gradcam++ --num-pairs 7
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from mmsde.apis.model import build_split_loader, load_classifier
from mmsde.utils.classes import FER_CLASSES
from mmsde.utils import add_trust_argument
from mmsde.visualization import CAM_METHODS, draw_cam_grid, pick_pairs

METHOD_ALIASES = {'gradcam++': 'gradcamplusplus'}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--model', nargs=2, action='append', default=[],
                        metavar=('CONFIG', 'CKPT'),
                        help='another model to compare (repeatable)')
    parser.add_argument('--names', nargs='+',
                        help='column titles, one per model')
    parser.add_argument(
        '--method', default='gradcam',
        choices=sorted(CAM_METHODS) + sorted(METHOD_ALIASES))
    parser.add_argument('--target-layer',
                        help='dotted module name, e.g. backbone.layer3 '
                        '(default: the last backbone stage)')
    parser.add_argument('--num-pairs', type=int, default=4)
    parser.add_argument('--split', default='test')
    parser.add_argument('--out', default='work_dirs/vis/cam.png')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides applied to every model\'s config')
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    specs = [(args.config, args.checkpoint)] + [tuple(m) for m in args.model]
    names = args.names or [osp.splitext(osp.basename(c))[0] for c, _ in specs]
    if len(names) != len(specs):
        raise SystemExit(f'--names gives {len(names)} names for '
                         f'{len(specs)} models')
    models, cfg = {}, None
    for name, (config, ckpt) in zip(names, specs):
        models[name], model_cfg = load_classifier(config, ckpt, args.device,
                                                  args.cfg_options)
        cfg = cfg or model_cfg
    dataset = build_split_loader(cfg, args.split).dataset
    classes = dataset.metainfo.get('classes', FER_CLASSES)
    pairs = pick_pairs(dataset, args.num_pairs)
    method = METHOD_ALIASES.get(args.method, args.method)
    layers = ({n: args.target_layer for n in names} if args.target_layer
              else None)
    png = draw_cam_grid(models, dataset, pairs, classes, args.out, method,
                        layers)
    print(f'wrote {png} ({len(pairs)} pairs, {len(models)} models)')


if __name__ == '__main__':
    main()
