"""The README's main job: train ResNet-18 and report masked / non-masked
accuracy on a held-out subject fold.

Without arguments it trains on the bundled synthetic benchmark (generated into
``data/synthetic_msde`` on first use). With ``--msde-root`` it trains on the
real MSD-E (obtained from its authors) in the authors' layout.

Examples:
    python tools/demo.py
    python tools/demo.py --msde-root /data/MSD-E-root --config CONFIG
"""
import argparse
import os.path as osp

from mmsde.apis import load_config, train_and_test
from mmsde.datasets import generate_synthetic_msde
from mmsde.datasets.msde import MASKED_DIR, NON_MASKED_DIR, PAIRS_FILE

SYNTHETIC_ROOT = 'data/synthetic_msde'
DEFAULT_CONFIG = ('configs/baseline/'
                  'resnet18_1xb32-adam-8e_synthetic-msde-nonmasked.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--msde-root',
        help=f'root of the real MSD-E ({NON_MASKED_DIR}/, {MASKED_DIR}/, '
        f'{PAIRS_FILE}); default: the synthetic benchmark')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--epochs', type=int, help='override max_epochs')
    return parser.parse_args()


def data_root_options(root: str) -> dict:
    """Config overrides that point every dataloader at ``root``."""
    return {
        f'{split}_dataloader.dataset.data_root': root
        for split in ('train', 'val', 'test')
    }


def main() -> None:
    args = parse_args()
    root = args.msde_root
    if root is None:
        root = SYNTHETIC_ROOT
        if not osp.isfile(osp.join(root, PAIRS_FILE)):
            print(f'[demo] generating the synthetic benchmark in {root}')
            print(generate_synthetic_msde(root, overwrite=True))
    options = data_root_options(root)
    if args.epochs:
        options['train_cfg.max_epochs'] = args.epochs
    cfg = load_config(
        args.config, work_dir=args.work_dir, cfg_options=options)
    metrics = train_and_test(cfg)
    print(f'[demo] test metrics of {metrics["checkpoint"]}, on the test '
          'subjects:')
    for key, value in metrics.items():
        if isinstance(value, float):
            print(f'  {key:40s} {value:8.2f}')


if __name__ == '__main__':
    main()
