"""Knowledge distillation from a non-masked teacher to a masked student."""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmsde.utils.checkpoint import resolve_checkpoint

from ..converters import load_state_dict_exactly
from .utils import (PreprocessorCfg, build_module, paired_preprocessor,
                    split_views, suffix_losses)

#: Keys of the teacher's outputs (online or cached).
FEATURE, LOGITS = 'feature', 'logits'


@MODELS.register_module()
class MaskedFERDistiller(ImageClassifier):
    """A student classifier distilled from a frozen non-masked teacher, the
    knowledge distillation of `MSD-E <https://arxiv.org/abs/2304.03867>`_.

    The model itself (``backbone``, ``neck``, ``head``) is the student. Each
    training sample is a ``[non_masked, masked]`` pair: the teacher always
    sees the non-masked image; the student sees the masked image with
    probability ``masked_prob``, else the same non-masked one. Losses::

        loss_cls            the student's own head loss (cross-entropy)
        loss_kd_feature     feature_loss(student map, teacher map)
        loss_kd_logit       logit_loss(student logits, teacher logits)

    ``feature_loss`` (e.g. :class:`FeatureDistillLoss`, lambda = 100) and
    ``logit_loss`` (e.g. :class:`LogitDistillLoss`) are optional, at least
    one is required; both distillation terms are multiplied by
    ``distill_scale`` (1 unless :class:`DistillWarmupHook` ramps it up; the
    authors' code has no warm-up).

    The teacher is an ``ImageClassifier`` built from its own config file (its
    ``model``) or model dict, and filled from ``teacher_ckpt`` by
    :meth:`init_weights`, i.e. before training starts; a checkpoint that
    does not fit stops the run naming the missing and unexpected keys. As in
    MMRazor's ``SingleTeacherDistill``, it is an ordinary frozen submodule
    (``self.teacher``): whatever walks the module tree (``.to``,
    ``model.apply``, SyncBN conversion, FSDP wrapping) reaches it; its
    parameters never require gradients; ``train()`` keeps it in eval mode
    (BatchNorm statistics and dropout untouched); it runs under ``no_grad``.
    Its own ``init_cfg`` is never applied. A state-dict hook leaves it out of
    ``state_dict`` (and loading does not expect it), so a saved distiller is
    a plain ``ImageClassifier`` checkpoint of the student.

    Teacher cache: when :class:`TeacherCacheHook` gives the model the
    teacher's outputs per ``pair_id`` (:meth:`set_teacher_cache`), those are
    used instead of running the teacher; a cached map is mirrored for
    samples that ``RandomFlip`` flipped horizontally.

    Args:
        teacher_cfg: Path of the teacher's config file, or its model dict.
        teacher_ckpt: The teacher's checkpoint; a glob pattern must match
            exactly one file (e.g. ``.../best_*.pth``). ``None`` leaves the
            teacher as built: only for tests and inference, training refuses
            it.
        feature_loss: Config of the feature distillation loss, or ``None``.
        logit_loss: Config of the logit distillation loss, or ``None``.
        feature_index: Which backbone output is distilled (``-1``: the last,
            ResNet's layer4 map); teacher and student must give it in the
            same shape.
        masked_prob: Probability that the student sees the masked image.
        data_preprocessor: Defaults to ``PairedClsDataPreprocessor``.
        **kwargs: The student: :class:`ImageClassifier`'s ``backbone``,
            ``neck``, ``head``, ``pretrained``, ``train_cfg`` and
            ``init_cfg``.
    """

    def __init__(self,
                 teacher_cfg: Union[str, dict],
                 teacher_ckpt: Optional[str],
                 feature_loss: Optional[dict] = dict(
                     type='FeatureDistillLoss', loss_weight=100.0),
                 logit_loss: Optional[dict] = None,
                 feature_index: int = -1,
                 masked_prob: float = 0.5,
                 data_preprocessor: PreprocessorCfg = None,
                 **kwargs) -> None:
        if not 0 <= masked_prob <= 1:
            raise ValueError(f'MaskedFERDistiller: masked_prob must be in '
                             f'[0, 1], got {masked_prob}')
        if feature_loss is None and logit_loss is None:
            raise ValueError('MaskedFERDistiller: set feature_loss, '
                             'logit_loss or both')
        super().__init__(
            data_preprocessor=paired_preprocessor(data_preprocessor),
            **kwargs)
        self.feature_loss = build_module(feature_loss)
        self.logit_loss = build_module(logit_loss)
        self.feature_index = feature_index
        self.masked_prob = masked_prob
        self.distill_scale = 1.0
        self.teacher_source = (teacher_cfg if isinstance(teacher_cfg, str)
                               else 'teacher model dict')
        self.teacher_ckpt = teacher_ckpt
        self.teacher = build_teacher(teacher_cfg)
        self.teacher.requires_grad_(False).eval()
        self.teacher.is_init = True  # weights come from teacher_ckpt only
        self.register_state_dict_post_hook(_drop_teacher_keys)
        self.register_load_state_dict_post_hook(_allow_missing_teacher)
        self.teacher_cache: Optional[Dict[str, Dict[str, torch.Tensor]]] = None
        self._teacher_loaded = False

    def init_weights(self) -> None:
        """Initialise the student, then load the teacher's checkpoint."""
        super().init_weights()
        self.load_teacher()

    def load_teacher(self) -> None:
        """Fill the teacher from ``teacher_ckpt`` (once)."""
        if self._teacher_loaded or self.teacher_ckpt is None:
            return
        path = resolve_checkpoint(self.teacher_ckpt)
        load_state_dict_exactly(self.teacher, path,
                                f'teacher config {self.teacher_source}')
        self.teacher.eval()
        self._teacher_loaded = True

    def train(self, mode: bool = True) -> 'MaskedFERDistiller':
        """Set the student's mode; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    @torch.no_grad()
    def teacher_outputs(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The teacher's distilled feature map and logits on ``inputs``.

        Args:
            inputs: ``[B, C, H, W]`` preprocessed non-masked images.

        Returns:
            dict: ``feature`` (the ``feature_index`` backbone output) and
            ``logits`` (the head's scores).
        """
        maps = self.teacher.extract_feat(inputs, stage='backbone')
        feats = self.teacher.neck(maps) if self.teacher.with_neck else maps
        return {FEATURE: maps[self.feature_index],
                LOGITS: self.teacher.head(feats)}

    def set_teacher_cache(
            self, cache: Optional[Mapping[str, Mapping[str, torch.Tensor]]]
    ) -> None:
        """Use cached teacher outputs (``{pair_id: {'feature', 'logits'}}``,
        see :class:`TeacherCacheHook`) instead of running the teacher;
        ``None`` switches back to the online teacher."""
        self.teacher_cache = None if cache is None else dict(cache)

    def _cached_outputs(self, data_samples: List[DataSample],
                        device: torch.device) -> Dict[str, torch.Tensor]:
        """Stack the cached teacher outputs of a batch."""
        entries = []
        for sample in data_samples:
            pair_id = sample.get('pair_id')
            if pair_id not in self.teacher_cache:
                raise KeyError(
                    f'MaskedFERDistiller: pair_id {pair_id!r} '
                    f'({sample.get("img_path")}) is not in the teacher '
                    'cache; the cache was built for another dataset')
            entry = self.teacher_cache[pair_id]
            feature = entry[FEATURE]
            if sample.get('flip', False) and sample.get(
                    'flip_direction') == 'horizontal':
                feature = feature.flip(-1)
            entries.append({FEATURE: feature, LOGITS: entry[LOGITS]})
        return {
            key: torch.stack([e[key] for e in entries]).to(device)
            for key in (FEATURE, LOGITS)
        }

    def select_student_inputs(self, non_masked: torch.Tensor,
                              masked: torch.Tensor) -> torch.Tensor:
        """Per sample, the masked image with probability ``masked_prob``,
        else the non-masked one, `MSD-E <https://arxiv.org/abs/2304.03867>`_.
        """
        use_masked = torch.rand(
            non_masked.size(0), device=non_masked.device) < self.masked_prob
        return torch.where(use_masked[:, None, None, None], masked,
                           non_masked)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """Student cross-entropy plus distillation from the teacher, `MSD-E
        <https://arxiv.org/abs/2304.03867>`_.

        Args:
            inputs: The two views of each pair, ``[B, C, H, W]`` each:
                non-masked first, masked second.
            data_samples: One per pair, with ``gt_label`` and ``pair_id``.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` (and the head's other
            outputs), ``loss_kd_feature`` and/or ``loss_kd_logit``.
        """
        if self.teacher_ckpt is None:
            raise RuntimeError('MaskedFERDistiller: no teacher_ckpt, the '
                               'teacher is untrained; set teacher_ckpt')
        self.load_teacher()
        non_masked, masked = split_views(inputs, type(self).__name__, 2)
        if self.teacher_cache is not None:
            teacher = self._cached_outputs(data_samples, non_masked.device)
        else:
            teacher = self.teacher_outputs(non_masked)
        maps = self.extract_feat(
            self.select_student_inputs(non_masked, masked), stage='backbone')
        feats = self.neck(maps) if self.with_neck else maps
        losses = suffix_losses(self.head.loss(feats, data_samples), 'cls')
        scale = self.distill_scale
        if self.feature_loss is not None:
            losses['loss_kd_feature'] = scale * self.feature_loss(
                maps[self.feature_index], teacher[FEATURE])
        if self.logit_loss is not None:
            losses['loss_kd_logit'] = scale * self.logit_loss(
                self.head(feats), teacher[LOGITS])
        return losses


def build_teacher(teacher_cfg: Union[str, dict]) -> ImageClassifier:
    """Build the teacher from a config file (its ``model``) or a model dict.

    Its own ``init_cfg`` (e.g. ImageNet weights) is never applied: the
    teacher's weights come from its checkpoint.
    """
    if isinstance(teacher_cfg, str):
        if not osp.isfile(teacher_cfg):
            raise FileNotFoundError(
                f'MaskedFERDistiller: teacher config {teacher_cfg} not found')
        teacher_cfg = Config.fromfile(teacher_cfg).model
    teacher = MODELS.build(teacher_cfg)
    if not isinstance(teacher, ImageClassifier):
        raise TypeError(f'MaskedFERDistiller: the teacher must be an '
                        f'ImageClassifier, got {type(teacher).__name__}')
    return teacher


def _drop_teacher_keys(module: nn.Module, state_dict: dict, prefix: str,
                       local_metadata: dict) -> None:
    """State-dict hook: the saved model is the student alone."""
    for key in [k for k in state_dict if k.startswith(prefix + 'teacher.')]:
        del state_dict[key]


def _allow_missing_teacher(module: nn.Module, incompatible_keys) -> None:
    """Load-state-dict hook: a student checkpoint has no teacher keys (the
    teacher is loaded from ``teacher_ckpt``)."""
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not k.startswith('teacher.')]
