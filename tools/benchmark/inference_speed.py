"""Speed of the whole inference pipeline on CPU: detect, align and classify,
faces per second (the webcam case: one face per frame).

Photos are the scenes of ``face_detection_speed.py`` (coffee background,
the astronaut's face in the middle) at each ``--sizes``; each round runs
:meth:`MaskedFERInferencer.predict` on ``--photos`` photos in batches of
``--batch-size``, after ``--warmup`` untimed rounds; the median of
``--rounds`` rounds is printed with the detector's and the classifier's
share of the time. ``--append FILE`` adds the table with the command.

    python tools/benchmark/inference_speed.py [--sizes 640x480 320x240] \
        [--model CONFIG --checkpoint CKPT] [--det-cfg-options KEY=VALUE] \
        [--append docs/benchmarks.md]
"""
import argparse
import os
import os.path as osp
import statistics
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # before torch loads
from mmsde.utils.benchmark import (append_report, face_photo,  # noqa: E402
                                   peak_memory)
from mmsde.utils.face_tools import exit_unless_face_tools  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL = osp.join(REPO, 'configs', 'real_faces',
                 'mini-xception_fer2013-pre_64px-grey_msde.py')


def parse_args() -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', default=MODEL)
    parser.add_argument('--checkpoint', help="default: the config's "
                        'load_from')
    parser.add_argument('--sizes', nargs='+', default=['640x480', '320x240'])
    parser.add_argument('--batch-size', type=int, default=4,
                        help='photos per call (default: %(default)s)')
    parser.add_argument('--photos', type=int, default=16)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--det-cfg-options', nargs='+', action=DictAction,
                        help='overrides of the detector config, e.g. '
                        'model.min_face_size=40')
    parser.add_argument('--append', help='markdown file to append to')
    return parser.parse_args()


def measure(inferencer, photos, batch: int) -> dict:
    """Seconds of one round, split into detection and classification."""
    times = dict(detect=0.0, classify=0.0)
    detect, classify = inferencer.detector.detect, inferencer.classify_crops

    def timed(fn, key):
        def run(*a, **k):
            start = time.perf_counter()
            out = fn(*a, **k)
            times[key] += time.perf_counter() - start
            return out
        return run
    inferencer.detector.detect = timed(detect, 'detect')
    inferencer.classify_crops = timed(classify, 'classify')
    start, faces = time.perf_counter(), 0
    for i in range(0, len(photos), batch):
        faces += sum(map(len, inferencer.predict(photos[i:i + batch])))
    times['total'] = time.perf_counter() - start
    inferencer.detector.detect, inferencer.classify_crops = detect, classify
    return dict(times, faces=faces)


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/benchmark/inference_speed.py')
    import torch
    from mmengine.config import Config

    from mmsde.apis.face_detection import DEFAULT_DET_CONFIG, FaceDetector
    from mmsde.apis.inferencer import MaskedFERInferencer
    from mmsde.utils.bundled import resolve_config
    torch.set_num_threads(args.threads)
    det_cfg = Config.fromfile(str(resolve_config(DEFAULT_DET_CONFIG)))
    if args.det_cfg_options:
        det_cfg.merge_from_dict(args.det_cfg_options)
    checkpoint = args.checkpoint or Config.fromfile(args.model).load_from
    from mmsde.apis.face_detection import default_detector_checkpoint
    inferencer = MaskedFERInferencer(
        args.model, checkpoint,
        FaceDetector(det_cfg, default_detector_checkpoint()))
    lines = ['| photo size | photos/s | faces/s | detect ms/photo | '
             'classify ms/face | peak RSS MiB |', '|' + ' --- |' * 6]
    for size in args.sizes:
        width, height = (int(v) for v in size.split('x'))
        photos = [face_photo(width, height)] * args.photos
        for _ in range(args.warmup):
            measure(inferencer, photos, args.batch_size)
        rounds = [measure(inferencer, photos, args.batch_size)
                  for _ in range(args.rounds)]
        total = statistics.median(r['total'] for r in rounds)
        faces = rounds[0]['faces']
        detect = statistics.median(r['detect'] for r in rounds)
        classify = statistics.median(r['classify'] for r in rounds)
        lines.append(
            f'| {size} | {args.photos / total:.1f} | {faces / total:.1f} | '
            f'{1000 * detect / args.photos:.1f} | '
            f'{1000 * classify / max(faces, 1):.2f} | '
            f'{peak_memory()["peak_rss_mb"]:.0f} |')
        print(lines[-1], flush=True)
    text = (f'Whole pipeline (detect + align + classify), '
            f'{osp.basename(args.model)}, batch {args.batch_size} photos, '
            f'{args.threads} torch threads, median of {args.rounds} rounds '
            f'of {args.photos} photos, one face each; detector overrides: '
            f'{args.det_cfg_options or "none"}.\n\n' + '\n'.join(lines))
    print(text)
    if args.append:
        append_report(args.append, text)


if __name__ == '__main__':
    main()
