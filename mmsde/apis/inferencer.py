"""Photos, folders, videos or a webcam to facial expressions, face by face.

:class:`MaskedFERInferencer` is an MMEngine
:class:`~mmengine.infer.BaseInferencer`: the model is a config, a bundled
``mmsde::`` config or a model name from mmsde's model index; inputs are
read, detected and classified in chunks of ``batch_size`` images, so a
folder of any size or a video of any length keeps memory flat. Each chunk
goes through :meth:`forward` (detect with any MMDetection detector, the
offline MTCNN by default; crop exactly as the model's training data was
cropped, the config's ``face_crop``; classify the crops in batches),
:meth:`visualize` (boxes and labels drawn so that none covers another or a
face) and :meth:`postprocess` (JSON-ready dicts, optionally written).
"""
import difflib
import json
import math
import os.path as osp
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.utils import track_iter_progress
from torch import nn

from mmsde.utils.annotate import draw_expressions
from mmsde.utils.atomic import atomic_path
from mmsde.utils.classes import FER_CLASSES
from mmsde.utils.face_crop import (CropSettings, crop_transform, select_faces,
                                   warp_crop)

from .crop_faces import list_images
from .face_detection import FaceDetector
from .model import build_classifier
from .runner import load_config

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
# model-index entries under this folder are face detectors, not classifiers
DETECTOR_CONFIGS = 'configs/face_detection/'
ImageInput = Union[str, Path, np.ndarray]


@dataclass
class FaceExpression:
    """One face's detection and expression."""
    box: Tuple[float, float, float, float]
    det_score: float
    landmarks: Optional[np.ndarray]
    label: str
    label_index: int
    score: float
    scores: Dict[str, float]

    def to_dict(self) -> dict:
        return dict(
            box=[round(v, 2) for v in self.box],
            det_score=round(self.det_score, 4),
            landmarks=None if self.landmarks is None else np.round(
                self.landmarks, 2).tolist(),
            label=self.label, label_index=self.label_index,
            score=round(self.score, 4),
            scores={k: round(v, 4) for k, v in self.scores.items()})


def is_video(source) -> bool:
    """A webcam index (int or digits) or a video file name."""
    if isinstance(source, int) or (isinstance(source, str)
                                   and source.isdigit()):
        return True
    return isinstance(source, (str, Path)) and \
        Path(source).suffix.lower() in VIDEO_EXTENSIONS


def crop_pipeline(cfg) -> Tuple[str, Compose]:
    """The color type of the config's test image loader and its test
    pipeline without the loader (crops arrive as arrays)."""
    from mmpretrain.registry import TRANSFORMS
    steps = [dict(t) for t in cfg.test_dataloader.dataset.pipeline]
    loader = steps.pop(0)
    if 'LoadImage' not in loader['type']:
        raise ValueError(f'{cfg.filename}: the test pipeline starts with '
                         f'{loader["type"]}, not an image loader')
    return loader.get('color_type', 'color'), Compose(
        [TRANSFORMS.build(t) for t in steps])


def index_models(classifiers_only: bool = True) -> List[dict]:
    """The models of mmsde's model index (``model-index.yml`` of the
    checkout or of the installed package's ``.mim``), each its metafile
    entry with ``Config`` made absolute; face detectors are left out
    unless ``classifiers_only`` is False."""
    root = BaseInferencer._get_repo_or_mim_dir('mmsde')
    return [dict(m, Config=osp.join(root, m['Config']))
            for m in BaseInferencer._get_models_from_metafile(root)
            if not (classifiers_only
                    and m['Config'].startswith(DETECTOR_CONFIGS))]


def model_from_index(name: str) -> Tuple[str, Optional[str]]:
    """Config path and weights (None where the index lists none) of a
    classifier named in the model index, by ``Name`` or ``Alias``."""
    models = index_models()
    for model in models:
        aliases = model.get('Alias') or []
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if name.lower() in [a.lower() for a in [model['Name'], *aliases]]:
            return model['Config'], model.get('Weights')
    names = [m['Name'] for m in models]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    raise ValueError(
        f'{name!r} is neither a config file nor a model in mmsde\'s model '
        f'index' + (f'; did you mean {", ".join(close)}?' if close else '')
        + ' (list them with `mim search mmsde` or mmsde.apis.index_models)')


def resolve_model(model: Union[str, Path, Config], weights: Optional[str]
                  ) -> Tuple[Config, Optional[str]]:
    """The config and weights of a config file, a ``mmsde::`` name, a loaded
    config or a model-index name; weights default to the index's, then to
    the config's ``load_from``."""
    if isinstance(model, Config):
        cfg = model
    else:
        model = str(model)
        if not (osp.isfile(model) or model.startswith('mmsde::')):
            model, index_weights = model_from_index(model)
            weights = weights or index_weights
        cfg = load_config(model)
    return cfg, weights or cfg.get('load_from')


class MaskedFERInferencer(BaseInferencer):
    """Expression of every face in photos and videos.

    Args:
        model: Classifier config (any mmsde or MMPretrain classifier), a
            bundled ``mmsde::`` config, or a model name from the model index
            (e.g. ``mini-xception_fer2013-pre_64px-grey_msde``).
        weights: Its checkpoint; None takes the index's weights, then the
            config's ``load_from``, then keeps random weights (with a
            warning).
        detector: A :class:`FaceDetector`; defaults to the offline MTCNN.
        device: Torch device of the classifier (and of the default
            detector).
        crop: Crop settings overriding the config's ``face_crop``; a
            difference is warned about, as the model then sees faces cropped
            otherwise than in training.
        face_batch_size: Faces per classifier call.
        show_progress: A progress bar over the chunks of a call.

    Calling it with ``batch_size`` (images per chunk), ``show``,
    ``img_out_dir``, ``pred_out_dir``, ``return_vis`` or
    ``return_datasamples`` works as for MMPretrain's inferencers;
    :meth:`stream` yields the same results one by one.
    """
    visualize_kwargs = {'show', 'wait_time', 'img_out_dir'}
    postprocess_kwargs = {'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Path, Config],
                 weights: Optional[str] = None,
                 detector: Optional[FaceDetector] = None,
                 device: str = 'cpu',
                 crop: Optional[dict] = None,
                 face_batch_size: int = 32,
                 show_progress: bool = False):
        cfg, weights = resolve_model(model, weights)
        self.name = str(model) if not isinstance(model, Config) else \
            cfg.filename
        super().__init__(cfg, weights, device, 'mmsde', show_progress)
        meta = getattr(self.model, 'dataset_meta', None) or {}
        self.classes = list(meta.get('classes') or FER_CLASSES)
        self.crop = self._crop_settings(crop)
        self.color_type, self.crop_pipeline = crop_pipeline(self.cfg)
        self.detector = detector or FaceDetector(device=device)
        self.face_batch_size = face_batch_size

    # --- BaseInferencer's parts -------------------------------------------
    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        if weights is None:
            warnings.warn(f'{cfg.filename}: no weights given and no '
                          'load_from: the classifier keeps random weights')
        return build_classifier(cfg, weights, device)

    def _init_pipeline(self, cfg: Config):
        """Reads one named input (:meth:`_inputs_to_list`) into
        ``{'input', 'out_name', 'img'}``."""

        def load(item: Tuple[str, str, ImageInput]) -> dict:
            name, out_name, source = item
            img = source if isinstance(source, np.ndarray) else \
                read_image(source)
            return dict(input=name, out_name=out_name, img=img)

        return load

    def _init_collate(self, cfg: Config):
        return list  # a chunk stays a list of images of any size

    def _init_visualizer(self, cfg: Config) -> None:
        return None  # drawn with OpenCV: mmsde.utils.annotate

    def _inputs_to_list(self, inputs) -> List[Tuple[str, str, ImageInput]]:
        """``(name, output name, path or array)`` of every input; files are
        read only when their chunk is."""
        return list(named_inputs(inputs))

    def forward(self, inputs: List[dict], **kwargs) -> List[dict]:
        """Faces and expressions of a chunk read by the pipeline."""
        faces = self.predict([item['img'] for item in inputs])
        return [dict(input=item['input'], out_name=item['out_name'],
                     faces=found) for item, found in zip(inputs, faces)]

    def visualize(self, inputs: List[dict], preds: List[dict],
                  show: bool = False, wait_time: int = 0,
                  img_out_dir: str = '', return_vis: bool = False
                  ) -> Optional[List[np.ndarray]]:
        """The annotated images (BGR), written as ``img_out_dir/<output
        name>.jpg`` and shown in an OpenCV window when asked; None when
        nothing asks for them."""
        if not (show or img_out_dir or return_vis):
            return None
        drawn = []
        for item, pred in zip(inputs, preds):
            img = draw_expressions(item['img'], pred['faces'])
            if img_out_dir:
                out = Path(img_out_dir) / f'{pred["out_name"]}.jpg'
                out.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(str(out)) as tmp:
                    cv2.imwrite(tmp, img)
            if show:
                cv2.imshow('mmsde', img)
                cv2.waitKey(wait_time)
            drawn.append(img)
        return drawn

    def postprocess(self, preds: List[dict],
                    visualization: Optional[List[np.ndarray]],
                    return_datasamples: bool = False,
                    pred_out_dir: str = '',
                    return_vis: bool = False) -> List[dict]:
        """Per image ``{'input', 'faces'}`` (``faces`` as
        :class:`FaceExpression` with ``return_datasamples``, else as dicts),
        plus ``'visualization'`` with ``return_vis``; each written as
        ``pred_out_dir/<output name>.json`` when asked."""
        results = []
        for k, pred in enumerate(preds):
            as_json = dict(input=pred['input'],
                           faces=[f.to_dict() for f in pred['faces']])
            if pred_out_dir:
                write_json(Path(pred_out_dir) / f'{pred["out_name"]}.json',
                           as_json)
            result = dict(as_json, faces=pred['faces']) \
                if return_datasamples else as_json
            if return_vis:
                result['visualization'] = visualization[k]
            results.append(result)
        return results

    def __call__(self, inputs, return_datasamples: bool = False,
                 batch_size: int = 8, **kwargs) -> List[dict]:
        """Results of images: a path, a folder, an array or a list of them
        (:meth:`postprocess`); ``FileNotFoundError`` for a missing path,
        ``ValueError`` for an unreadable image."""
        return list(self.stream(inputs, return_datasamples, batch_size,
                                **kwargs))

    def stream(self, inputs, return_datasamples: bool = False,
               batch_size: int = 8, **kwargs) -> Iterator[dict]:
        """:meth:`__call__`'s results one by one, a chunk of ``batch_size``
        images in memory at a time."""
        return_vis = kwargs.pop('return_vis', False)  # both need it
        pre_kw, fwd_kw, vis_kw, post_kw = self._dispatch_kwargs(**kwargs)
        named = self._inputs_to_list(inputs)
        chunks = self.preprocess(named, batch_size=batch_size, **pre_kw)
        if self.show_progress:
            chunks = track_iter_progress(
                (chunks, math.ceil(len(named) / batch_size)))
        for chunk in chunks:
            preds = self.forward(chunk, **fwd_kw)
            vis = self.visualize(chunk, preds, return_vis=return_vis,
                                 **vis_kw)
            yield from self.postprocess(preds, vis, return_datasamples,
                                        return_vis=return_vis, **post_kw)

    # --- detection and classification -------------------------------------
    def _crop_settings(self, crop: Optional[dict]) -> CropSettings:
        trained = self.cfg.get('face_crop')
        if trained is None:
            warnings.warn(f'{self.name} has no face_crop settings: faces are '
                          f'cropped with {crop or CropSettings().to_dict()}, '
                          'which may differ from its training crops')
            return CropSettings.from_dict(crop or {}, 'crop')
        settings = CropSettings.from_dict(dict(trained), f'{self.name}: '
                                          'face_crop')
        if crop:
            override = CropSettings.from_dict(
                dict(settings.to_dict(), **crop), 'crop')
            changed = {k: v for k, v in override.to_dict().items()
                       if v != settings.to_dict()[k]}
            if changed:
                warnings.warn(f'crop settings {changed} differ from the '
                              f"model's training crops ({settings.to_dict()})")
            settings = override
        return settings

    def _to_input(self, crop: np.ndarray) -> dict:
        if self.color_type == 'grayscale':
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        return self.crop_pipeline(dict(img=crop, img_shape=crop.shape[:2],
                                       ori_shape=crop.shape[:2]))

    @torch.no_grad()
    def classify_crops(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Class scores ``(N, num_classes)`` of face crops (BGR)."""
        scores = []
        for i in range(0, len(crops), self.face_batch_size):
            data = pseudo_collate([self._to_input(c) for c in
                                   crops[i:i + self.face_batch_size]])
            samples = self.model.test_step(data)
            scores += [s.pred_score.cpu().numpy() for s in samples]
        return np.stack(scores) if scores else np.zeros(
            (0, len(self.classes)), np.float32)

    def predict(self, images: Sequence[np.ndarray],
                faces: Optional[Sequence[Sequence]] = None
                ) -> List[List[FaceExpression]]:
        """Faces and expressions of a batch of BGR images; ``faces`` (per
        image, detections as the detector gives them) skips detection,
        e.g. to classify the same faces after a mask was drawn on them."""
        found = self.detector.detect(list(images)) if faces is None \
            else faces
        crops, owners = [], []
        every_face = CropSettings(**dict(self.crop.to_dict(),
                                         multi_face='all'))
        for k, (img, detections) in enumerate(zip(images, found)):
            for face in select_faces(detections, every_face)[0]:
                matrix, _ = crop_transform(face, every_face)
                crops.append(warp_crop(img, matrix, every_face.size))
                owners.append((k, face))
        results = [[] for _ in images]
        for (k, face), scores in zip(owners, self.classify_crops(crops)):
            index = int(scores.argmax())
            results[k].append(FaceExpression(
                box=face.box, det_score=face.score, landmarks=face.landmarks,
                label=self.classes[index], label_index=index,
                score=float(scores[index]),
                scores=dict(zip(self.classes, map(float, scores)))))
        return results

    def video(self, source: Union[str, int],
              frame_batch: int = 4) -> Iterator[Tuple[dict, np.ndarray]]:
        """Results of every frame of a video file or webcam, with the frame:
        ``({'frame', 'time', 'faces'}, frame)``, ``faces`` as
        :class:`FaceExpression`; ``frame_batch`` frames in memory at a
        time."""
        for batch in iter_frames(source, frame_batch):
            preds = self.predict([frame for _, _, frame in batch])
            for (index, time, frame), faces in zip(batch, preds):
                yield dict(frame=index, time=round(time, 3),
                           faces=faces), frame


def write_json(path: Union[str, Path], obj) -> None:
    """``obj`` as indented JSON, written atomically (folders made)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(str(path)) as tmp:
        Path(tmp).write_text(json.dumps(obj, indent=2) + '\n')


def read_image(path: Union[str, Path]) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'cannot read image {path}')
    return img


def named_inputs(inputs) -> Iterator[Tuple[str, str, ImageInput]]:
    """``(name, output name, path or array)`` of an array, an image file, a
    folder (all its images, recursively; output names relative to it) or a
    list of them; output names have no extension."""
    if isinstance(inputs, np.ndarray):
        yield 'array', 'array', inputs
        return
    if isinstance(inputs, (str, Path)):
        path = Path(inputs)
        if not path.exists():
            raise FileNotFoundError(f'no image or folder at {path}')
        root, names = list_images(path)
        for rel in names:
            yield str(root / rel), str(Path(rel).with_suffix('')), root / rel
        return
    for k, item in enumerate(inputs):
        for name, out_name, source in named_inputs(item):
            if name == 'array':
                name = out_name = f'array{k}'
            yield name, out_name, source


def open_video(source: Union[str, int]) -> cv2.VideoCapture:
    """A capture of a video file or a webcam index, or a clear error."""
    webcam = isinstance(source, int) or str(source).isdigit()
    if not webcam and not osp.isfile(str(source)):
        raise FileNotFoundError(f'no video file at {source}')
    cap = cv2.VideoCapture(int(source) if webcam else str(source))
    if not cap.isOpened():
        raise ValueError(f'OpenCV cannot open '
                         f'{"webcam " if webcam else "video "}{source}')
    return cap


def iter_frames(source: Union[str, int], batch: int
                ) -> Iterator[List[Tuple[int, float, np.ndarray]]]:
    """Batches of ``(frame index, time in s, BGR frame)``."""
    cap = open_video(source)
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    frames, index = [], 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            time = index / fps if fps > 0 else \
                cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
            frames.append((index, time, frame))
            index += 1
            if len(frames) == batch:
                yield frames
                frames = []
        if frames:
            yield frames
    finally:
        cap.release()
