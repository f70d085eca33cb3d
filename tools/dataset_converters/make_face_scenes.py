"""Generate face-detection scenes in WIDER FACE's VOC layout, the data of
``configs/face_detection/retinanet_r18_fpn_1xb8-12e_face-scenes-160.py``.

Example::

    python tools/dataset_converters/make_face_scenes.py data/face_scenes
"""
import argparse

from mmsde.datasets.wider_face import generate_face_scenes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write generated face scenes (<split>.txt, '
        'WIDER_<split>/images, WIDER_<split>/Annotations).')
    parser.add_argument(
        'out_dir',
        nargs='?',
        default='data/face_scenes',
        help='output root (default: %(default)s)')
    parser.add_argument(
        '--num-train', type=int, default=800, help='default: %(default)s')
    parser.add_argument(
        '--num-val', type=int, default=100, help='default: %(default)s')
    parser.add_argument(
        '--img-size', type=int, default=160, help='default: %(default)s')
    parser.add_argument(
        '--max-faces',
        type=int,
        default=3,
        help='faces per scene are 0..max (default: %(default)s)')
    parser.add_argument(
        '--seed', type=int, default=0, help='default: %(default)s')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace existing splits')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # the validation scenes use another seed: no scene is in both splits
    for split, num, seed in (('train', args.num_train, args.seed),
                             ('val', args.num_val, args.seed + 1)):
        try:
            summary = generate_face_scenes(
                args.out_dir, num_scenes=num, img_size=args.img_size,
                seed=seed, split=split, num_faces=(0, args.max_faces),
                overwrite=args.overwrite)
        except (FileExistsError, ValueError) as err:
            raise SystemExit(f'error: {err}')
        summary.pop('scenes')
        print(f'{split}: ' + ', '.join(f'{k}={v}' for k, v in
                                       summary.items()))


if __name__ == '__main__':
    main()
