"""Convert a masked-FER annotation (CSV with a header or JSON lines) to
OpenMMLab 2.0 JSON (``metainfo`` + ``data_list``), checking every entry.

Example::

    python tools/dataset_converters/annotation_to_json.py \
        data/mine/ann.csv data/mine/ann.json
"""
import argparse
from pathlib import Path

import mmengine

from mmsde.datasets.annotation import to_openmmlab_format
from mmsde.utils.classes import FER_CLASSES


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='CSV or JSON-lines annotation')
    parser.add_argument('dst', help='OpenMMLab 2.0 JSON file to write')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        ann = to_openmmlab_format(
            Path(args.src).read_text(encoding='utf-8-sig'), args.src,
            FER_CLASSES)
    except (OSError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    mmengine.dump(ann, args.dst, indent=1)
    print(f'{args.dst}: {len(ann["data_list"])} entries')


if __name__ == '__main__':
    main()
