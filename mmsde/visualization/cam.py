"""Class activation maps of any mmsde or MMPretrain classifier with the
grad-cam package (https://github.com/jacobgil/pytorch-grad-cam), and a grid
that shows the same non-masked | masked pairs for several models."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from mmsde.apis.model import preprocess
from mmsde.utils.extras import require_extra

require_extra('optional', 'pytorch_grad_cam', what='mmsde.visualization.cam')
import pytorch_grad_cam  # noqa: E402
from pytorch_grad_cam.utils.image import show_cam_on_image  # noqa: E402
from pytorch_grad_cam.utils import model_targets  # noqa: E402

CAM_METHODS = {
    name.lower(): getattr(pytorch_grad_cam, name)
    for name in ('GradCAM', 'GradCAMPlusPlus', 'XGradCAM', 'EigenCAM',
                 'EigenGradCAM', 'LayerCAM', 'HiResCAM', 'ScoreCAM',
                 'AblationCAM', 'GradCAMElementWise')
}


class LogitsOnly(nn.Module):
    """The classifier as grad-cam expects it: normalised images -> logits."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.classifier(inputs, mode='tensor')


def last_backbone_stage(model: nn.Module) -> nn.Module:
    """The last stage of the backbone: the default CAM target layer.

    MMPretrain's ResNets name their stages in ``res_layers``; other
    backbones keep them in ``stages`` or ``layers``; otherwise the last
    child module with parameters is taken.
    """
    backbone = model.backbone
    names = getattr(backbone, 'res_layers', None)
    if names:
        return getattr(backbone, names[-1])
    for attr in ('stages', 'layers'):
        stages = getattr(backbone, attr, None)
        if isinstance(stages, (nn.ModuleList, nn.Sequential)) and len(stages):
            return stages[-1]
    children = [m for m in backbone.children()
                if any(True for _ in m.parameters())]
    if not children:
        raise ValueError(f'{type(backbone).__name__} has no stage with '
                         'parameters; name the target layer')
    return children[-1]


def find_layer(model: nn.Module, name: str) -> nn.Module:
    """A submodule by dotted name, e.g. ``'backbone.layer4'``."""
    modules = dict(model.named_modules())
    if name not in modules:
        stages = [n for n in modules if n.count('.') <= 1 and n][:20]
        raise KeyError(f'the model has no module {name!r}; some of its '
                       f'modules: {stages}')
    return modules[name]


def tokens_to_map(tensor: torch.Tensor) -> torch.Tensor:
    """grad-cam reshape transform: (N, L, C) transformer tokens -> (N, C,
    H, W), dropping leading class / distillation tokens; maps pass."""
    if isinstance(tensor, (tuple, list)):
        tensor = tensor[-1]
    if tensor.dim() != 3:
        return tensor
    n, length, channels = tensor.shape
    for extra in (0, 1, 2):
        side = math.isqrt(length - extra)
        if side * side == length - extra:
            grid = tensor[:, extra:, :].reshape(n, side, side, channels)
            break
    else:
        raise ValueError(f'cannot lay {length} tokens on a square grid; '
                         'give a target layer with spatial maps')
    return grid.permute(0, 3, 1, 2)


def compute_cams(model: nn.Module, inputs: torch.Tensor,
                 targets: Optional[Sequence[int]] = None,
                 method: str = 'gradcam',
                 target_layer: Optional[str] = None) -> np.ndarray:
    """Class activation maps of normalised ``inputs``.

    Args:
        model: An ImageClassifier-like model in eval mode.
        inputs: (N, 3, H, W) images after the model's data preprocessor.
        targets: The class of each image to explain; None explains the
            predicted class.
        method: A key of :data:`CAM_METHODS`.
        target_layer: Dotted module name; default the last backbone stage.

    Returns:
        (N, H, W) float32 maps in [0, 1] at the inputs' size.
    """
    if method not in CAM_METHODS:
        raise KeyError(f'unknown CAM method {method!r}; choose one of '
                       f'{sorted(CAM_METHODS)}')
    layer = (find_layer(model, target_layer) if target_layer
             else last_backbone_stage(model))
    cam_targets = (None if targets is None else
                   [model_targets.ClassifierOutputTarget(int(t))
                    for t in targets])
    with CAM_METHODS[method](model=LogitsOnly(model), target_layers=[layer],
                             reshape_transform=tokens_to_map) as cam:
        maps = cam(input_tensor=inputs, targets=cam_targets)
    return np.clip(np.nan_to_num(maps.astype(np.float32)), 0, 1)


def display_image(packed: torch.Tensor, bgr: bool = True) -> np.ndarray:
    """A packed (3, H, W) uint8 input (or a (1, H, W) grey one) as an
    (H, W, 3) RGB float image."""
    img = packed.detach().cpu().numpy().transpose(1, 2, 0)
    if img.shape[-1] == 1:  # grey models (configs/real_faces)
        img = np.repeat(img, 3, axis=-1)
    if bgr:
        img = img[..., ::-1]
    return np.ascontiguousarray(img, dtype=np.float32) / 255.


def overlay(image: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """The CAM as a jet heat map over an RGB float image (uint8 RGB)."""
    return show_cam_on_image(image, cam, use_rgb=True, image_weight=0.55)


def pick_pairs(dataset, num_pairs: int) -> List[Tuple[int, int]]:
    """Indices (non-masked, masked) of up to ``num_pairs`` test pairs, one
    expression after another so the grid shows every class, each row from
    another person where the split allows."""
    sides: Dict[str, Dict[bool, int]] = {}
    labels: Dict[str, int] = {}
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        pair = info.get('pair_id')
        if pair is None:
            raise KeyError('the test samples have no pair_id: a CAM grid '
                           'needs paired masked / non-masked images')
        sides.setdefault(pair, {})[bool(info['masked'])] = idx
        labels[pair] = int(info['gt_label'])
    complete = [p for p in sorted(sides) if len(sides[p]) == 2]
    by_class: Dict[int, List[str]] = {}
    for pair in complete:
        by_class.setdefault(labels[pair], []).append(pair)
    order, rnd = [], 0
    while len(order) < num_pairs and any(by_class.values()):
        for label in sorted(by_class):
            candidates = by_class[label]
            if candidates and len(order) < num_pairs:
                # a different person in each row
                order.append(candidates.pop((len(order) + rnd)
                                            % len(candidates)))
        rnd += 1
    return [(sides[p][False], sides[p][True]) for p in order]


def draw_cam_grid(models: Dict[str, nn.Module], dataset,
                  pairs: Sequence[Tuple[int, int]], class_names: Sequence[str],
                  out_file: str, method: str = 'gradcam',
                  target_layers: Optional[Dict[str, str]] = None,
                  bgr: bool = True) -> str:
    """One row per pair: the non-masked and masked images, then for each
    model its CAMs of both (explaining its own prediction), titled with
    the prediction. Returns the PNG path."""
    from mmengine.dataset import pseudo_collate

    from .figures import new_figure, save_figure
    if not pairs:
        raise ValueError('no complete masked / non-masked pair to draw')
    indices = [i for pair in pairs for i in pair]
    batch = pseudo_collate([dataset[i] for i in indices])
    images = [display_image(x, bgr) for x in batch['inputs']]
    panels = {}
    for name, model in models.items():
        inputs, _ = preprocess(model, batch)
        with torch.no_grad():
            preds = model(inputs, mode='tensor').argmax(dim=1).tolist()
        layer = (target_layers or {}).get(name)
        maps = compute_cams(model, inputs, preds, method, layer)
        panels[name] = [(overlay(img, m), p, name)
                        for img, m, p in zip(images, maps, preds)]
    cols = 2 + 2 * len(models)
    fig = new_figure((1.7 * cols, 1.9 * len(pairs) + 0.6))
    axes = np.asarray(fig.subplots(len(pairs), cols)).reshape(len(pairs), cols)
    for row, (non_masked, _) in enumerate(pairs):
        truth = class_names[int(dataset.get_data_info(non_masked)['gt_label'])]
        cells = [(images[2 * row], 'image', None),
                 (images[2 * row + 1], 'image', None)]
        for name in models:
            cells += [panels[name][2 * row], panels[name][2 * row + 1]]
        for col, (img, pred, model_name) in enumerate(cells):
            ax = axes[row, col]
            ax.imshow(img)
            ax.set_xticks([])
            ax.set_yticks([])
            view = 'masked' if col % 2 else 'non-masked'
            header = (f'{model_name or "input"}\n{view} image'
                      if row == 0 else '')
            if pred == 'image':
                ax.set_title(header, fontsize=8)
            else:
                correct = class_names[pred] == truth
                ax.set_title(f'{header}\npred: {class_names[pred]}'.strip(),
                             fontsize=8,
                             color='darkgreen' if correct else 'firebrick')
        axes[row, 0].set_ylabel(f'true: {truth}', fontsize=8)
    fig.suptitle(f'{method} of each model\'s prediction (green: correct, '
                 'red: wrong)', fontsize=10)
    return save_figure(fig, out_file)
