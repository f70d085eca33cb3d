"""Face detection with any MMDetection detector, built once, run in batches.

mmsde runs in MMPretrain's default scope; MMDetection's registries are used
only inside :meth:`DefaultScope.overwrite_default_scope`, so building and
calling a detector never changes the scope of the rest of the process.

With no config, :class:`FaceDetector` is the offline default: MTCNN
(``configs/face_detection/mtcnn_facenet-pytorch-weights.py``) with the
weights that ``tools/install.sh`` converts from the MIT-licensed
``facenet-pytorch`` wheel into the cache.
"""
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmsde.utils.bundled import resolve_config
from mmsde.utils.face_crop import Face
from mmsde.utils.face_tools import require_face_tools

DEFAULT_DET_CONFIG = 'mmsde::face_detection/mtcnn_facenet-pytorch-weights.py'
CONVERT_COMMAND = 'python tools/model_converters/mtcnn_from_facenet_pytorch.py'


def default_detector_checkpoint() -> Path:
    """The converted MTCNN weights in the cache, or an error naming the
    command that makes them."""
    from mmsde.models.converters.mtcnn import mtcnn_checkpoint_path
    path = mtcnn_checkpoint_path()
    if not path.is_file():
        raise FileNotFoundError(
            f'the default face detector weights {path} are missing; '
            f'`{CONVERT_COMMAND}` (run by tools/install.sh) converts them '
            'from the facenet-pytorch wheel, or pass --det-config and '
            '--det-checkpoint of another MMDetection face detector')
    return path


def _faces_of(sample, score_thr: float) -> List[Face]:
    """Faces of one MMDetection ``DetDataSample`` (label 0 only: a one-class
    face detector; ``keypoints``, when present, are the 5 landmarks)."""
    pred = sample.pred_instances
    boxes = pred.bboxes.detach().cpu().numpy().astype(np.float64)
    scores = pred.scores.detach().cpu().numpy().astype(np.float64)
    labels = pred.labels.detach().cpu().numpy()
    points = pred.get('keypoints')
    if points is not None:
        points = points.detach().cpu().numpy().astype(np.float64)
    faces = []
    for i in np.argsort(-scores):
        if labels[i] != 0 or scores[i] < score_thr:
            continue
        faces.append(Face(box=tuple(float(v) for v in boxes[i]),
                          score=float(scores[i]),
                          landmarks=None if points is None else points[i]))
    return faces


class FaceDetector:
    """An MMDetection face detector behind one call: BGR images in, faces out.

    Args:
        config: MMDetection config (path or :class:`Config`); defaults to the
            offline MTCNN config.
        checkpoint: Its weights; defaults to the cached MTCNN weights when
            ``config`` is the default, else none (random weights: only for
            tests).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        score_thr: Detections below this score are dropped here already.
    """

    def __init__(self,
                 config: Optional[Union[str, Path, Config]] = None,
                 checkpoint: Optional[Union[str, Path]] = None,
                 device: str = 'cpu',
                 score_thr: float = 0.05):
        require_face_tools('FaceDetector')
        from mmdet.apis import init_detector
        from mmdet.utils import register_all_modules
        from mmengine.dataset import Compose
        if config is None:
            config = DEFAULT_DET_CONFIG
            checkpoint = checkpoint or default_detector_checkpoint()
        cfg = config if isinstance(config, Config) else Config.fromfile(
            str(resolve_config(str(config))))
        self.score_thr = score_thr
        with DefaultScope.overwrite_default_scope('mmdet'):
            register_all_modules(init_default_scope=False)
            # cfg_options={} keeps init_detector from reading
            # cfg.model.backbone, which a backbone-free detector lacks
            self.model = init_detector(
                cfg, None if checkpoint is None else str(checkpoint),
                device=device, cfg_options={})
            pipeline = self.model.cfg.get('test_pipeline') or \
                self.model.cfg.test_dataloader.dataset.pipeline
            pipeline = [dict(t) for t in pipeline]
            pipeline[0] = dict(type='mmdet.LoadImageFromNDArray')
            self.pipeline = Compose(pipeline)
        self.config_name = cfg.filename or '<in-memory config>'
        self.checkpoint = None if checkpoint is None else str(checkpoint)

    @torch.no_grad()
    def detect(self, images: Sequence[np.ndarray]) -> List[List[Face]]:
        """Detect the faces of a batch of ``H x W x 3`` BGR uint8 images.

        Returns:
            Per image, its faces sorted by decreasing score, in pixels of
            the image as given.
        """
        from mmengine.dataset import pseudo_collate
        if not images:
            return []
        with DefaultScope.overwrite_default_scope('mmdet'):
            data = pseudo_collate([
                self.pipeline(dict(img=img, img_id=i))
                for i, img in enumerate(images)
            ])
            samples = self.model.test_step(data)
        return [_faces_of(s, self.score_thr) for s in samples]
