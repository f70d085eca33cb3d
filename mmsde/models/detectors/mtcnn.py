"""MTCNN as an MMDetection detector: mmsde's offline default face detector.

Zhang et al., "Joint Face Detection and Alignment using Multi-task Cascaded
Convolutional Networks", IEEE SPL 2016 (https://arxiv.org/abs/1604.02878).
The weights are facenet-pytorch's (MIT), converted by
``tools/model_converters/mtcnn_from_facenet_pytorch.py`` into
:func:`~mmsde.models.converters.mtcnn.mtcnn_checkpoint_path`.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor

from .mtcnn_cascade import (CascadeConfig, detect_faces, normalise,
                            pyramid_scales)
from .mtcnn_nets import ONet, PNet, RNet


@MODELS.register_module()
class MTCNNFaceDetector(BaseDetector):
    """Multi-task cascaded face detector (inference only), 5 landmarks.

    Inputs are what ``DetDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1],
    bgr_to_rgb=True)`` gives: RGB pixels in [0, 255], padded to a common
    size. The cascade (:mod:`.mtcnn_cascade`) runs on the whole padded batch
    at once, one P-Net pass per pyramid scale, but each image keeps its own
    pyramid and its own valid area (``img_shape``): padded pixels never
    propose a box, and an image gives the same faces in a batch as alone.

    Predictions are ``pred_instances`` with ``bboxes`` (N, 4) xyxy,
    ``scores`` (N,), ``labels`` (N,) zeros (class ``face``) and
    ``keypoints`` (N, 5, 2): left eye, right eye, nose tip, left and right
    mouth corners (``left`` = smaller x for a frontal face, the order of
    :mod:`mmsde.utils.landmarks`), by decreasing score.

    Args:
        min_face_size (float): Smallest face side searched for, in pixels
            of the network input (after the pipeline's Resize). Larger is
            faster: the P-Net pyramid shrinks with its square.
        thresholds (Sequence[float]): Face-probability thresholds of P-, R-
            and O-Net.
        factor (float): Ratio between pyramid scales.
        nms_thresholds (Sequence[float]): IoU thresholds of the NMS within a
            scale, across scales and after R-Net, then the overlap (over the
            smaller box) of the last NMS after O-Net.
        max_faces (int): Most faces kept per image.
        backbone (dict, optional): Must be empty: MTCNN has no backbone,
            but MMDetection's ``init_detector`` reads ``model.backbone``
            (when no ``cfg_options`` are given), so the config sets
            ``backbone=dict()``.
        data_preprocessor (dict, optional): MMDetection data preprocessor.
        init_cfg (dict, optional): Initialisation config (e.g. a
            ``Pretrained`` checkpoint).
    """

    def __init__(self,
                 min_face_size: float = 20.0,
                 thresholds: Sequence[float] = (0.6, 0.7, 0.7),
                 factor: float = 0.709,
                 nms_thresholds: Sequence[float] = (0.5, 0.7, 0.7, 0.7),
                 max_faces: int = 100,
                 backbone: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if backbone:
            raise ValueError('MTCNNFaceDetector has no backbone (its P/R/O-'
                             'Net are fixed); got backbone='
                             f'{dict(backbone)}')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.cascade_cfg = CascadeConfig(
            min_face_size=float(min_face_size),
            thresholds=tuple(float(t) for t in thresholds),
            factor=float(factor),
            nms_thresholds=tuple(float(t) for t in nms_thresholds),
            max_faces=int(max_faces))
        self.pnet = PNet()
        self.rnet = RNet()
        self.onet = ONet()

    @staticmethod
    def _valid_hw(batch_inputs: Tensor,
                  batch_data_samples: Optional[SampleList]) -> Tensor:
        """Height and width of each image inside the padded batch."""
        if not batch_data_samples:
            h, w = batch_inputs.shape[-2:]
            return torch.tensor([[h, w]] * len(batch_inputs))
        shapes = []
        for sample in batch_data_samples:
            h, w = sample.metainfo.get('img_shape', batch_inputs.shape[-2:])
            shapes.append([min(int(h), batch_inputs.shape[-2]),
                           min(int(w), batch_inputs.shape[-1])])
        return torch.tensor(shapes)

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: Optional[SampleList] = None
                 ) -> List[Tuple[Tensor, Tensor, Tensor]]:
        """The raw cascade output, in network-input pixels.

        Returns:
            list[tuple]: Per image: boxes ``(N, 4)``, scores ``(N,)`` and
            landmarks ``(N, 5, 2)``.
        """
        valid_hw = self._valid_hw(batch_inputs, batch_data_samples)
        with torch.inference_mode():
            return detect_faces((self.pnet, self.rnet, self.onet),
                                batch_inputs, valid_hw, self.cascade_cfg)

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detect faces and their landmarks.

        Args:
            batch_inputs (Tensor): ``(B, 3, H, W)`` RGB in [0, 255].
            batch_data_samples (list[DetDataSample]): With ``img_shape``,
                ``ori_shape`` and ``scale_factor`` in their metainfo.
            rescale (bool): Boxes and landmarks in original image pixels
                (divided by ``scale_factor``, clipped to ``ori_shape``);
                otherwise in network-input pixels, clipped to
                ``img_shape``.

        Returns:
            list[DetDataSample]: The samples with ``pred_instances``.
        """
        results = self._forward(batch_inputs, batch_data_samples)
        instances = []
        for (boxes, scores, marks), sample in zip(results,
                                                  batch_data_samples):
            instances.append(
                self._to_instances(boxes, scores, marks, sample.metainfo,
                                   rescale))
        return self.add_pred_to_datasample(batch_data_samples, instances)

    @staticmethod
    def _to_instances(boxes: Tensor, scores: Tensor, marks: Tensor,
                      meta: Dict, rescale: bool) -> InstanceData:
        boxes, marks = boxes.clone().float(), marks.clone().float()
        h, w = meta.get('img_shape', (float('inf'), float('inf')))[:2]
        if rescale:
            sx, sy = meta.get('scale_factor', (1.0, 1.0))
            boxes /= boxes.new_tensor([sx, sy, sx, sy])
            marks /= marks.new_tensor([sx, sy])
            h, w = meta.get('ori_shape', (h / sy, w / sx))[:2]
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, h)
        result = InstanceData()
        result.bboxes = boxes
        result.scores = scores.float()
        result.labels = torch.zeros(len(scores), dtype=torch.long,
                                    device=scores.device)
        result.keypoints = marks
        return result

    def extract_feat(self,
                     batch_inputs: Tensor) -> List[Tuple[Tensor, Tensor]]:
        """P-Net's face-probability and box maps at each pyramid scale of
        the padded batch (the cascade's only dense features)."""
        h, w = batch_inputs.shape[-2:]
        maps = []
        for scale in pyramid_scales(h, w, self.cascade_cfg.min_face_size,
                                    self.cascade_cfg.factor):
            size = (int(h * scale + 1), int(w * scale + 1))
            x = torch.nn.functional.interpolate(batch_inputs, size=size,
                                                mode='area')
            maps.append(self.pnet(normalise(x)))
        return maps

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Not supported: MTCNN here is inference only."""
        raise NotImplementedError(
            'MTCNNFaceDetector is inference only (facenet-pytorch\'s '
            'pretrained P/R/O-Net weights); its cascade has no trainable '
            'loss here. To train a face detector use the RetinaNet configs '
            'in configs/face_detection/.')
