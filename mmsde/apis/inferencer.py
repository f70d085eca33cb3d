"""Photos, folders, videos or a webcam to facial expressions, face by face.

:class:`MaskedFERInferencer` detects faces (any MMDetection detector, the
offline MTCNN by default), crops them exactly as the model's training data
was cropped (the config's ``face_crop``, :class:`CropSettings`), and
classifies each crop with any mmsde or MMPretrain classifier, in batches;
the detector and the classifier are each built once.
"""
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

from mmsde.utils.classes import FER_CLASSES
from mmsde.utils.face_crop import (CropSettings, crop_transform, select_faces,
                                   warp_crop)

from .crop_faces import list_images
from .face_detection import FaceDetector
from .model import load_classifier

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
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


class MaskedFERInferencer:
    """Expression of every face in photos and videos.

    Args:
        model: Classifier config (any mmsde or MMPretrain classifier).
        checkpoint: Its weights; None takes the config's ``load_from``
            (the real-face config's cached weights), and random weights
            when that is unset too (tests).
        detector: A :class:`FaceDetector`; defaults to the offline MTCNN.
        device: Torch device of the classifier (and of the default
            detector).
        crop: Crop settings overriding the config's ``face_crop``; a
            difference is warned about, as the model then sees faces cropped
            otherwise than in training.
        batch_size: Faces per classifier call.
    """

    def __init__(self,
                 model: str,
                 checkpoint: Optional[str],
                 detector: Optional[FaceDetector] = None,
                 device: str = 'cpu',
                 crop: Optional[dict] = None,
                 batch_size: int = 32):
        if checkpoint is None:
            checkpoint = Config.fromfile(model).get('load_from')
        self.model, self.cfg = load_classifier(model, checkpoint, device)
        meta = getattr(self.model, 'dataset_meta', None) or {}
        self.classes = list(meta.get('classes') or FER_CLASSES)
        self.crop = self._crop_settings(model, crop)
        self.color_type, self.pipeline = crop_pipeline(self.cfg)
        self.detector = detector or FaceDetector(device=device)
        self.batch_size = batch_size

    def _crop_settings(self, model: str, crop: Optional[dict]
                       ) -> CropSettings:
        trained = self.cfg.get('face_crop')
        if trained is None:
            warnings.warn(f'{model} has no face_crop settings: faces are '
                          f'cropped with {crop or CropSettings().to_dict()}, '
                          'which may differ from its training crops')
            return CropSettings.from_dict(crop or {}, 'crop')
        settings = CropSettings.from_dict(dict(trained), f'{model}: '
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
        return self.pipeline(dict(img=crop, img_shape=crop.shape[:2],
                                  ori_shape=crop.shape[:2]))

    @torch.no_grad()
    def classify_crops(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Class scores ``(N, num_classes)`` of face crops (BGR)."""
        scores = []
        for i in range(0, len(crops), self.batch_size):
            data = pseudo_collate(
                [self._to_input(c) for c in crops[i:i + self.batch_size]])
            samples = self.model.test_step(data)
            scores += [s.pred_score.cpu().numpy() for s in samples]
        return np.stack(scores) if scores else np.zeros(
            (0, len(self.classes)), np.float32)

    def predict(self, images: Sequence[np.ndarray]
                ) -> List[List[FaceExpression]]:
        """Faces and expressions of a batch of BGR images."""
        found = self.detector.detect(list(images))
        crops, owners = [], []
        every_face = CropSettings(**dict(self.crop.to_dict(),
                                         multi_face='all'))
        for k, (img, faces) in enumerate(zip(images, found)):
            for face in select_faces(faces, every_face)[0]:
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

    def __call__(self, inputs: Union[ImageInput, Sequence[ImageInput]]
                 ) -> List[dict]:
        """Results of images: a path, a folder, an array or a list of them.

        Returns:
            Per image ``{'input': name, 'faces': [FaceExpression, ...]}``.
        """
        named = list(iter_images(inputs))
        results = []
        for i in range(0, len(named), self.batch_size):
            batch = named[i:i + self.batch_size]
            preds = self.predict([img for _, img in batch])
            results += [dict(input=name, faces=faces)
                        for (name, _), faces in zip(batch, preds)]
        return results

    def video(self, source: Union[str, int],
              frame_batch: int = 4) -> Iterator[Tuple[dict, np.ndarray]]:
        """Results of every frame of a video file or webcam, with the frame:
        ``({'frame', 'time', 'faces'}, frame)``."""
        for batch in iter_frames(source, frame_batch):
            preds = self.predict([frame for _, _, frame in batch])
            for (index, time, frame), faces in zip(batch, preds):
                yield dict(frame=index, time=round(time, 3),
                           faces=faces), frame


def read_image(path: Union[str, Path]) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'cannot read image {path}')
    return img


def iter_images(inputs) -> Iterator[Tuple[str, np.ndarray]]:
    """``(name, BGR image)`` of an array, an image file, a folder (all its
    images, recursively) or a list of them."""
    if isinstance(inputs, np.ndarray):
        yield 'array', inputs
        return
    if isinstance(inputs, (str, Path)):
        path = Path(inputs)
        if path.is_dir():
            root, names = list_images(path)
            for rel in names:
                yield str(root / rel), read_image(root / rel)
            return
        if not path.is_file():
            raise FileNotFoundError(f'no image or folder at {path}')
        yield str(path), read_image(path)
        return
    for k, item in enumerate(inputs):
        for name, img in iter_images(item):
            yield (f'array{k}' if name == 'array' else name), img


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
