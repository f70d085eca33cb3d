"""Expressions of the faces in a photo, a folder, a video or a webcam.

Writes, per image, an annotated copy and a JSON file; per video, an
annotated video and JSON lines (one per frame: index, time, faces).

Examples:
    # the offline real-face model (FER2013 mini-Xception) and detector (MTCNN)
    python tools/infer.py photo.jpg
    python tools/infer.py photos/ --out-dir outputs/photos
    python tools/infer.py clip.mp4 --model CONFIG.py --checkpoint CKPT.pth
    python tools/infer.py photo.jpg --model mini-xception_fer2013-pre_64px-grey_msde
    python tools/infer.py 0 --show        # webcam 0, live window
"""
import argparse
import json
import os
import os.path as osp
import sys
from pathlib import Path

import cv2
from mmengine.utils import ProgressBar

from mmsde.apis.face_detection import FaceDetector
from mmsde.apis.inferencer import (MaskedFERInferencer, is_video, open_video,
                                   resolve_model)
from mmsde.utils import add_trust_argument
from mmsde.utils.face_tools import exit_unless_face_tools
from mmsde.utils.annotate import draw_expressions

DEFAULT_MODEL = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
    'real_faces', 'mini-xception_fer2013-pre_64px-grey_msde.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='image, folder, video file or webcam '
                        'index')
    parser.add_argument('--model', default=DEFAULT_MODEL,
                        help='classifier config or model-index name '
                        '(default: the offline FER2013 mini-Xception)')
    parser.add_argument('--checkpoint', help="default: the config's "
                        'load_from')
    parser.add_argument('--det-config', help='MMDetection face detector '
                        '(default: offline MTCNN)')
    parser.add_argument('--det-checkpoint')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out-dir', default='outputs/infer')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='faces per classifier call')
    parser.add_argument('--image-batch', type=int, default=8,
                        help='images read, detected and classified '
                        'together (memory holds one such chunk)')
    parser.add_argument('--show', action='store_true',
                        help='show a live window (needs a display)')
    parser.add_argument('--no-save', action='store_true',
                        help='write nothing (with --show)')
    add_trust_argument(parser)
    return parser.parse_args()


def to_json(result: dict) -> dict:
    return dict({k: v for k, v in result.items() if k != 'faces'},
                faces=[f.to_dict() for f in result['faces']])


def show(window: str, img) -> bool:
    """Show a frame; False when the user pressed q or Esc."""
    cv2.imshow(window, img)
    return cv2.waitKey(1) & 0xFF not in (ord('q'), 27)


def infer_images(inferencer, args) -> None:
    """Streams the images through the inferencer a chunk at a time; it
    writes the annotated images and JSON files."""
    out_dir = '' if args.no_save else args.out_dir
    for result in inferencer.stream(
            args.input, batch_size=args.image_batch, img_out_dir=out_dir,
            pred_out_dir=out_dir, return_vis=args.show):
        labels = ', '.join(f'{f["label"]} {f["score"]:.2f}'
                           for f in result['faces']) or 'no face'
        print(f'{result["input"]}: {labels}')
        if args.show and not show('mmsde', result['visualization']):
            break
    if not args.no_save:
        print(f'wrote annotated images and JSON to {args.out_dir}')


def infer_video(inferencer, args) -> None:
    cap = open_video(args.input)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    cap.release()
    stem = f'webcam{args.input}' if str(args.input).isdigit() else \
        Path(args.input).stem
    writer = lines = None
    if not args.no_save:
        os.makedirs(args.out_dir, exist_ok=True)
        video_path = osp.join(args.out_dir, f'{stem}_annotated.mp4')
        lines_path = osp.join(args.out_dir, f'{stem}.jsonl')
        lines = open(lines_path, 'w', encoding='utf-8')
    bar = ProgressBar(total) if total > 0 and not args.show else None
    try:
        for result, frame in inferencer.video(args.input):
            drawn = draw_expressions(frame, result['faces'])
            if lines is not None:
                if writer is None:
                    writer = cv2.VideoWriter(
                        video_path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                        (frame.shape[1], frame.shape[0]))
                writer.write(drawn)
                lines.write(json.dumps(to_json(result)) + '\n')
            if bar:
                bar.update()
            if args.show and not show('mmsde', drawn):
                break
    finally:
        if writer is not None:
            writer.release()
        if lines is not None:
            lines.close()
            print(f'\nwrote {video_path} and {lines_path}')


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/infer.py')
    if args.show and sys.platform.startswith('linux') and not (
            os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        raise SystemExit('error: --show needs a display (DISPLAY is not '
                         'set); the annotated files are written without it')
    try:
        _, checkpoint = resolve_model(args.model, args.checkpoint)
        if not checkpoint:
            raise ValueError(f'{args.model} names no weights (no load_from, '
                             'none in the model index): give --checkpoint')
        detector = FaceDetector(args.det_config, args.det_checkpoint,
                                device=args.device)
        inferencer = MaskedFERInferencer(
            args.model, checkpoint, detector, device=args.device,
            face_batch_size=args.batch_size)
        if is_video(args.input):
            infer_video(inferencer, args)
        else:
            infer_images(inferencer, args)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}')


if __name__ == '__main__':
    main()
