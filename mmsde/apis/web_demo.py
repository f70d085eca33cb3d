"""A web demo of masked facial expression recognition (Gradio, the
``demo`` extra: ``pip install 'mmsde[demo]'``), offline.

Upload a photo or take one with the webcam: every face is boxed with its
expression and class scores. "Put on a mask" draws a synthetic mask on each
face from its landmarks (:func:`mmsde.synthetic.draw_face_mask`) and shows
beside it how the predictions of the same faces change. The model is any
classifier of the model index that has weights, or a config and checkpoint
of the user's own. :func:`analyse` is the whole computation (tested
without a browser); :func:`build_demo` lays it out.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmsde.synthetic.masks import MASK_STYLES, draw_face_mask
from mmsde.utils.extras import require_extra
from mmsde.utils.annotate import draw_expressions

OWN_MODEL = 'my own config and checkpoint'
NO_FACE = ('No face found: try a photo where the face is larger, lit from '
           'the front and not cut off by the frame.')


@dataclass
class Analysis:
    """What the page shows: annotated RGB images without and with masks
    (None when masks are off or no face was found), the results table in
    Markdown and a status line."""
    plain: Optional[np.ndarray]
    masked: Optional[np.ndarray]
    table: str
    status: str


def put_on_masks(img: np.ndarray, faces: Sequence, style: str,
                 seed: int = 0) -> np.ndarray:
    """A copy of ``img`` (BGR) with a synthetic mask of ``style`` drawn on
    every face that has landmarks."""
    out = img
    for k, face in enumerate(faces):
        if face.landmarks is not None:
            out = draw_face_mask(out, np.asarray(face.landmarks), style=style,
                                 rng=np.random.default_rng(seed + k))
    return out


def results_table(plain: Sequence, masked: Optional[Sequence]) -> str:
    """A Markdown table, one row per face (left to right): the expression
    and score without a mask, with one, and the top three class scores."""
    head = '| face | expression | score |'
    rule = '| --- | --- | --- |'
    if masked is not None:
        head += ' with a mask | score |'
        rule += ' --- | --- |'
    rows = [head + ' top-3 scores (no mask) |', rule + ' --- |']
    for k, face in enumerate(plain):
        row = f'| {k + 1} | {face.label} | {face.score:.2f} |'
        if masked is not None:
            row += f' {masked[k].label} | {masked[k].score:.2f} |'
        top = sorted(face.scores.items(), key=lambda kv: -kv[1])[:3]
        rows.append(row + ' ' + ', '.join(f'{c} {s:.2f}' for c, s in top)
                    + ' |')
    return '\n'.join(rows)


def analyse(inferencer, path: Optional[str], mask: bool,
            style: str = 'surgical') -> Analysis:
    """Detect, classify and draw the faces of the photo at ``path``, and
    with ``mask`` the same faces with a mask drawn on: the masked faces are
    classified where they were found unmasked (a detector may miss a masked
    face, and the comparison is face by face)."""
    if not path:
        return Analysis(None, None, '', 'Upload a photo or take one with '
                        'the webcam.')
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        return Analysis(None, None, '', f'Cannot read {path.split("/")[-1]}'
                        ' as an image: upload a JPEG or PNG photo.')
    found = sorted(inferencer.detector.detect([img])[0],
                   key=lambda f: f.box[0])
    plain = inferencer.predict([img], [found])[0]
    if not plain:
        return Analysis(rgb(img), None, '', NO_FACE)
    masked = masked_img = None
    if mask:
        masked_img = put_on_masks(img, found, style)
        masked = inferencer.predict([masked_img], [found])[0]
    changed = '' if masked is None else ', {} changed by the mask'.format(
        sum(a.label != b.label for a, b in zip(plain, masked)))
    status = f'{len(plain)} face{"s" * (len(plain) > 1)} found{changed}.'
    return Analysis(
        rgb(draw_expressions(img, plain)),
        None if masked is None else rgb(draw_expressions(masked_img, masked)),
        results_table(plain, masked), status)


def rgb(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@dataclass
class ModelCache:
    """Inferencers by (model, checkpoint), built on first use with
    ``make(model, checkpoint)``; a model that fails to load is reported
    with its error and not cached."""
    make: Callable
    built: Dict[Tuple[str, str], object] = field(default_factory=dict)

    def get(self, model: str, checkpoint: Optional[str]
            ) -> Tuple[Optional[object], str]:
        """The inferencer, or None and the message saying why not."""
        key = (model, checkpoint or '')
        if key not in self.built:
            try:
                self.built[key] = self.make(model, checkpoint or None)
            except Exception as err:  # shown on the page, not raised
                return None, f'Could not load the model {model}: {err}'
        return self.built[key], ''


def build_demo(models: List[str], make_inferencer: Callable,
               default: Optional[str] = None):
    """The Gradio app (``gr.Blocks``; call ``.launch()``).

    Args:
        models: Model-index names to offer.
        make_inferencer: ``(model, checkpoint or None) ->``
            :class:`~mmsde.apis.MaskedFERInferencer`; ``model`` is an index
            name or the user's config path.
        default: The model selected first (default: the first).
    """
    require_extra('demo', 'gradio', what='the web demo')
    import gradio as gr
    cache = ModelCache(make_inferencer)

    def run(upload, webcam, model, config, checkpoint, mask, style):
        path = upload or webcam  # read by mmsde: its own message if bad
        own = model == OWN_MODEL
        if own and not config:
            return None, gr.update(visible=False), '', (
                'Give the path of your config (and checkpoint).')
        inferencer, error = cache.get(config if own else model,
                                      checkpoint if own else None)
        if inferencer is None:
            return None, gr.update(visible=False), '', error
        result = analyse(inferencer, path, mask, style)
        return (result.plain,
                gr.update(value=result.masked,
                          visible=result.masked is not None),
                result.table, result.status)

    with gr.Blocks(title='mmsde: masked facial expressions') as demo:
        gr.Markdown('# Facial expressions, with and without a mask\n'
                    'Every face is boxed with its expression. Put on a mask '
                    'to see how the same faces are read when the mouth and '
                    'nose are hidden.')
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Tab('Upload'):
                    upload = gr.File(label='Photo', file_types=['image'],
                                     type='filepath', elem_id='upload')
                with gr.Tab('Webcam'):
                    webcam = gr.Image(type='filepath', sources=['webcam'],
                                      label='Webcam', elem_id='webcam')
                model = gr.Dropdown(models + [OWN_MODEL], label='Model',
                                    value=default or models[0],
                                    elem_id='model')
                with gr.Row(visible=False) as own_row:
                    config = gr.Textbox(label='Config file', elem_id='config')
                    checkpoint = gr.Textbox(label='Checkpoint',
                                            elem_id='checkpoint')
                mask = gr.Checkbox(label='Put on a mask', elem_id='mask')
                style = gr.Radio(list(MASK_STYLES), value=MASK_STYLES[0],
                                 label='Mask style', elem_id='style')
            with gr.Column(scale=2):
                status = gr.Markdown(elem_id='status')
                with gr.Row():
                    plain = gr.Image(label='As photographed',
                                     interactive=False, elem_id='plain')
                    masked = gr.Image(label='With a mask', visible=False,
                                      interactive=False, elem_id='masked')
                table = gr.Markdown(elem_id='table')
        model.change(lambda m: gr.update(visible=m == OWN_MODEL), model,
                     own_row)
        gr.on([upload.change, webcam.change, model.change, config.submit,
               checkpoint.submit, mask.change, style.change], run,
              [upload, webcam, model, config, checkpoint, mask, style],
              [plain, masked, table, status])
    return demo


def demo_models() -> List[str]:
    """Names of the model index's classifiers that have weights."""
    from .inferencer import index_models
    return [m['Name'] for m in index_models() if m.get('Weights')]
