"""A web demo in the browser: photos or the webcam to facial expressions,
with and without a synthetic mask (Gradio; offline).

Examples:
    python tools/web_demo.py                     # http://127.0.0.1:7860
    python tools/web_demo.py --port 8080 --model CONFIG.py --checkpoint CKPT
"""
import argparse

from mmsde.utils import add_trust_argument
from mmsde.utils.extras import MissingExtraError, require_extra
from mmsde.utils.face_tools import exit_unless_face_tools


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', help='model-index name or config shown '
                        'first (default: the first index model with weights)')
    parser.add_argument('--checkpoint', help='weights of --model (a config '
                        'of your own)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--host', default='127.0.0.1',
                        help='0.0.0.0 serves other machines too')
    parser.add_argument('--port', type=int, default=7860)
    add_trust_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exit_unless_face_tools('tools/web_demo.py')
    try:
        require_extra('demo', 'gradio', what='the web demo')
    except MissingExtraError as err:
        raise SystemExit(f'error: {err}')
    from mmsde.apis import MaskedFERInferencer
    from mmsde.apis.face_detection import FaceDetector
    from mmsde.apis.web_demo import build_demo, demo_models
    detector = FaceDetector(device=args.device)
    models = demo_models()
    if args.model and args.model not in models:
        models.insert(0, args.model)

    def make(model, checkpoint):
        if model == args.model and checkpoint is None:
            checkpoint = args.checkpoint
        return MaskedFERInferencer(model, checkpoint, detector,
                                   device=args.device)

    demo = build_demo(models, make, args.model)
    demo.launch(server_name=args.host, server_port=args.port)


if __name__ == '__main__':
    main()
