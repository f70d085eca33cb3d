"""Compute a distillation teacher's outputs once and reuse them."""
import copy
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence

import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmpretrain.registry import DATASETS, HOOKS
from torch.utils.data import DataLoader, Dataset

from mmsde.utils.atomic import atomic_path
from mmsde.utils.checkpoint import resolve_checkpoint
from mmsde.utils.model import unwrap_model

#: Bumped when the content or layout of cache files changes.
CACHE_VERSION = 1

TeacherOutputs = Dict[str, Dict[str, torch.Tensor]]


@HOOKS.register_module()
class TeacherCacheHook(Hook):
    """Run the frozen teacher of a :class:`MaskedFERDistiller` once over the
    training pairs and give the model its outputs, so that distillation
    costs about what training the student alone costs.

    Before training, the teacher sees the non-masked image of every training
    sample through ``pipeline`` (by default the test pipeline: no
    augmentation) and its feature map and logits are stored by ``pair_id``
    in ``<cache_dir>/teacher_<key>.pth``. The key hashes everything the
    outputs depend on: the teacher's config and checkpoint bytes, the
    distilled feature index, the pipeline, and every training image (path,
    size and modification time, or the pixels of table datasets). A change
    of any of them gives a new key, hence a fresh computation; an existing
    file with the key is reused. In distributed runs the main process
    computes and the others wait, then every process loads the file.

    During training the student still sees augmented images; the cached map
    is mirrored for horizontally flipped samples (the model does it). Other
    augmentations are not replayed for the teacher, which is what "teacher
    without augmentation" means; use the online teacher to distill through
    the exact augmentation.

    Args:
        pipeline: Pipeline of the teacher's images; defaults to
            ``test_dataloader.dataset.pipeline``.
        batch_size: Batch size of the teacher's pass.
        cache_dir: Folder of the cache files; defaults to
            ``<work_dir>/teacher_cache``.
    """

    priority = 'LOW'

    def __init__(self, pipeline: Optional[Sequence[dict]] = None,
                 batch_size: int = 64,
                 cache_dir: Optional[str] = None) -> None:
        self.pipeline = None if pipeline is None else list(pipeline)
        self.batch_size = batch_size
        self.cache_dir = cache_dir

    def before_train(self, runner) -> None:
        """Build or load the cache and hand it to the model."""
        model = unwrap_model(runner.model)
        if not hasattr(model, 'set_teacher_cache'):
            raise TypeError(f'TeacherCacheHook needs a MaskedFERDistiller, '
                            f'got {type(model).__name__}')
        model.load_teacher()
        pipeline = self.pipeline or list(
            runner.cfg.test_dataloader.dataset.pipeline)
        dataset = self.teacher_dataset(runner.cfg.train_dataloader.dataset,
                                       pipeline)
        key = cache_key(model, dataset, pipeline)
        cache_dir = self.cache_dir or osp.join(runner.work_dir,
                                               'teacher_cache')
        path = osp.join(cache_dir, f'teacher_{key[:16]}.pth')
        if is_main_process() and not osp.isfile(path):
            runner.logger.info(f'TeacherCacheHook: running the teacher on '
                               f'{len(dataset)} images, cache {path}')
            loader = DataLoader(dataset, batch_size=self.batch_size,
                                shuffle=False, collate_fn=pseudo_collate)
            outputs = compute_teacher_outputs(model, loader, len(dataset))
            with atomic_path(path) as tmp:  # never read half-written
                torch.save(dict(key=key, version=CACHE_VERSION,
                                outputs=outputs), tmp)
        barrier()
        cache = torch.load(path, map_location='cpu', weights_only=True)
        if cache.get('key') != key:
            raise ValueError(f'TeacherCacheHook: {path} holds another '
                             f'cache (key {cache.get("key")}, expected {key})')
        runner.logger.info(f'TeacherCacheHook: {len(cache["outputs"])} '
                           f'teacher outputs from {path}')
        model.set_teacher_cache(cache['outputs'])

    @staticmethod
    def teacher_dataset(train_dataset_cfg: dict,
                        pipeline: List[dict]) -> Dataset:
        """The non-masked training images, one sample each, through
        ``pipeline``."""
        cfg = copy.deepcopy(train_dataset_cfg)
        cfg.update(views='non_masked', pipeline=pipeline)
        return DATASETS.build(cfg)


@torch.no_grad()
def compute_teacher_outputs(model, batches: Iterable[dict],
                            num_samples: int) -> TeacherOutputs:
    """``{pair_id: {'feature': ..., 'logits': ...}}`` of the teacher on
    every sample of ``batches`` (float32, on the CPU).

    Args:
        model: A :class:`MaskedFERDistiller`.
        batches: Collated batches of single non-masked images whose data
            samples carry ``pair_id``.
        num_samples: How many samples ``batches`` hold (progress bar).
    """
    outputs: TeacherOutputs = {}
    progress = ProgressBar(num_samples)
    for data in batches:
        data = model.data_preprocessor(data, False)
        batch = model.teacher_outputs(data['inputs'])
        for i, sample in enumerate(data['data_samples']):
            outputs[sample.pair_id] = {
                name: value[i].float().cpu().clone()
                for name, value in batch.items()
            }
            progress.update()
    return outputs


def cache_key(model, dataset: Dataset, pipeline: List[dict]) -> str:
    """SHA-256 over everything the teacher's cached outputs depend on."""
    digest = hashlib.sha256()
    checkpoint = resolve_checkpoint(model.teacher_ckpt)
    with open(checkpoint, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    settings = dict(
        version=CACHE_VERSION,
        teacher=repr(model.teacher),
        teacher_source=model.teacher_source,
        feature_index=model.feature_index,
        pipeline=pipeline,
        preprocessor=repr(model.data_preprocessor))
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for i in range(len(dataset)):
        digest.update(image_fingerprint(dataset.get_data_info(i)).encode())
    return digest.hexdigest()


def image_fingerprint(info: dict) -> str:
    """Pair id, path, size and modification time of a sample's image (its
    pixels' hash for datasets that hold them)."""
    path = info['img_path']
    if 'img' in info:
        stamp = hashlib.sha256(info['img'].tobytes()).hexdigest()
    elif osp.isfile(path):
        stat = os.stat(path)
        stamp = f'{stat.st_size}:{stat.st_mtime_ns}'
    else:
        stamp = 'remote'
    return f'{info["pair_id"]}|{path}|{stamp}\n'
