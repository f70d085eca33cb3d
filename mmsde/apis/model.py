"""Load a trained classifier and its test data from a config: what the
picture tools and the inferencer start from."""
import copy
from typing import Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from torch import nn
from torch.utils.data import DataLoader

from .runner import load_config


def load_classifier(config: str,
                    checkpoint: Optional[str],
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None
                    ) -> Tuple[nn.Module, Config]:
    """Build the config's model, load ``checkpoint`` into it strictly and
    put it in eval mode.

    Every mmsde algorithm (paired, SupCon, distiller) predicts like an
    :class:`~mmpretrain.models.ImageClassifier`, so its own checkpoint fits
    the model its config builds. The backbone's ``init_cfg`` is not run:
    the checkpoint holds every weight.

    Args:
        config: Config file of the trained run.
        checkpoint: Its checkpoint; None keeps random weights (tests).
        device: Torch device of the model.
        cfg_options: Overrides merged into the config (e.g. a data root).

    Returns:
        The model and the loaded config.

    Raises:
        RuntimeError: The checkpoint does not fit the model (names the keys).
    """
    cfg = load_config(config, cfg_options=cfg_options)
    return build_classifier(cfg, checkpoint, device), cfg


def build_classifier(cfg: Config, checkpoint: Optional[str],
                     device: str = 'cpu') -> nn.Module:
    """:func:`load_classifier` of a loaded config: the model with
    ``checkpoint`` loaded strictly (None keeps random weights), in eval
    mode on ``device``."""
    model = build_model(cfg)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


def build_model(cfg: Config, init_cfg: bool = True) -> nn.Module:
    """The config's model as the Runner builds it (a top-level
    ``data_preprocessor``, the normalisation, belongs to the model), in
    the config's default scope; ``init_cfg=False`` drops the backbone's
    ``init_cfg`` (a checkpoint will hold every weight)."""
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)  # the caller's config stays whole
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    if not init_cfg:
        model_cfg.get('backbone', {}).pop('init_cfg', None)
    return MODELS.build(model_cfg)


def build_split_loader(cfg: Config, split: str = 'test',
                       batch_size: Optional[int] = None,
                       seed: Optional[int] = None) -> DataLoader:
    """The config's ``{split}_dataloader`` without workers (a short pass)."""
    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'the config has no {key}')
    loader_cfg = cfg[key].copy()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    if batch_size is not None:
        loader_cfg.batch_size = batch_size
    return Runner.build_dataloader(loader_cfg, seed=seed)


@torch.no_grad()
def preprocess(model: nn.Module, batch: dict) -> Tuple[torch.Tensor, list]:
    """Run the model's data preprocessor on a test batch: (inputs, samples)."""
    data = model.data_preprocessor(batch, False)
    return data['inputs'], data['data_samples']
