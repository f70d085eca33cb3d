"""All pictures of trained runs in one call: training curves, confusion
matrices, t-SNE per run, and a CAM grid comparing the runs on the same
test pairs (what ``tools/demo.py`` ends with)."""
import glob
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from mmsde.apis.model import build_split_loader, load_classifier
from mmsde.utils.classes import FER_CLASSES

from .cam import draw_cam_grid, pick_pairs
from .confusion import GROUPS, draw_confusion
from .curves import draw_curves
from .embedding import draw_tsne, embed_tsne, extract_features


@dataclass
class TrainedRun:
    """A finished run: its work dir (with the config MMEngine dumped
    there), the checkpoint to picture, and its test metrics."""
    name: str
    work_dir: str
    checkpoint: str
    metrics: Optional[dict] = None

    @property
    def config(self) -> str:
        """The config the runner dumped into the work dir."""
        dumped = sorted(glob.glob(osp.join(self.work_dir, '*.py')))
        if not dumped:
            raise FileNotFoundError(f'{self.work_dir} holds no dumped '
                                    'config (*.py): is it a work dir?')
        return dumped[0]


def draw_run_pictures(runs: List[TrainedRun], out_dir: str,
                      num_pairs: int = 4) -> Dict[str, str]:
    """Draw every picture of ``runs`` into ``out_dir``.

    Returns:
        Picture name -> PNG path.
    """
    written = {}
    models = {}
    dataset = None
    for run in runs:
        written[f'{run.name} curves'] = draw_curves(
            {run.name: run.work_dir},
            osp.join(out_dir, f'{run.name}_curves.png'), title=run.name)
        matrices = {g: np.asarray(run.metrics[f'{g}/confusion_matrix'])
                    for g in GROUPS
                    if f'{g}/confusion_matrix' in (run.metrics or {})}
        if matrices:
            written[f'{run.name} confusion'] = draw_confusion(
                matrices, FER_CLASSES,
                osp.join(out_dir, f'{run.name}_confusion.png'),
                title=f'{run.name}: test set')
        model, run_cfg = load_classifier(run.config, run.checkpoint)
        models[run.name] = model
        loader = build_split_loader(run_cfg)
        if dataset is None:  # the CAM grid shows the first run's test pairs
            dataset = loader.dataset
        feats = extract_features(model, loader, progress=False)
        written[f'{run.name} t-SNE'] = draw_tsne(
            embed_tsne(feats.features), feats, FER_CLASSES,
            osp.join(out_dir, f'{run.name}_tsne.png'),
            title=f'{run.name}: pre-logits features of the test set')
    written['Grad-CAM'] = draw_cam_grid(
        models, dataset, pick_pairs(dataset, num_pairs), FER_CLASSES,
        osp.join(out_dir, 'gradcam.png'))
    return written
