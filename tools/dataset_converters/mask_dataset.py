"""Masked copies of a face dataset, written where it reads them
(``masked_dir``): RAF-DB, AffectNet, FERPlus, CK+ or any mmsde dataset
with masked copies.

Every image is masked or listed with its reason in
``<masked_dir>/masks.jsonl``; the counts are printed. Examples::

    # AffectNet: masks placed from its own 68 landmarks
    python tools/dataset_converters/mask_dataset.py AffectNet data/affectnet
    # RAF-DB's aligned crops and FERPlus's 48x48 faces: the aligned template
    python tools/dataset_converters/mask_dataset.py RAFDB data/rafdb --aligned
    python tools/dataset_converters/mask_dataset.py FERPlus data/ferplus \
        --aligned
    # CK+ frames: MTCNN finds the landmarks
    python tools/dataset_converters/mask_dataset.py CKPlus data/ckplus
"""
import argparse

from mmengine.config import DictAction

from mmsde.synthetic.masks import ALL_MASK_STYLES


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dataset', help='dataset type: RAFDB, AffectNet, '
                        'FERPlus, CKPlus...')
    parser.add_argument('data_root')
    parser.add_argument('--masked-dir', default='masked',
                        help='folder under data_root (default: masked)')
    parser.add_argument('--styles', nargs='+', default=list(ALL_MASK_STYLES),
                        choices=ALL_MASK_STYLES)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--aligned', action='store_true',
                        help='the images are aligned crops: the template is '
                        'the last landmark source')
    parser.add_argument('--no-detector', action='store_true',
                        help='do not run MTCNN where no landmarks are known')
    parser.add_argument('--crop-manifest', help="tools/crop_faces.py's "
                        'manifest.jsonl of the images')
    parser.add_argument('--max-yaw', type=float, default=45.0,
                        help='heads turned further are listed, not masked')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--dataset-options', nargs='+', action=DictAction,
                        default={}, help='more dataset arguments, e.g. '
                        'num_classes=8')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    from mmpretrain.registry import DATASETS

    import mmsde.datasets  # noqa: F401  (registers the datasets)
    from mmsde.apis.mask_dataset import LandmarkFinder, mask_dataset
    from mmsde.datasets.crop_manifest import crop_landmarks
    from mmsde.utils.face_tools import exit_unless_face_tools
    sources = ['dataset']
    manifest = None
    if args.crop_manifest:
        sources.append('manifest')
        manifest = crop_landmarks(args.crop_manifest)
    detector = None
    if not args.no_detector and not args.aligned:
        exit_unless_face_tools('landmarks by MTCNN (or pass --aligned / '
                               '--no-detector)')
        from mmsde.apis.face_detection import FaceDetector
        detector = FaceDetector()
        sources.append('mtcnn')
    if args.aligned:
        sources.append('template')
    try:
        dataset = DATASETS.build(dict(
            type=args.dataset, data_root=args.data_root,
            masked_dir=args.masked_dir, lazy_init=True,
            **args.dataset_options))
        report = mask_dataset(
            dataset, LandmarkFinder(sources, getattr(
                dataset, 'face_landmarks', None), manifest, detector),
            args.styles, args.seed, args.max_yaw, args.overwrite)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    print(f'\n{report.summary()}')


if __name__ == '__main__':
    main()
