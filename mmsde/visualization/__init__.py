"""Pictures of what models learned: t-SNE of features, class activation
maps, confusion matrices and training curves (used by tools/visualization
and tools/demo.py)."""
from .cam import (CAM_METHODS, compute_cams, draw_cam_grid,
                  last_backbone_stage, pick_pairs)
from .confusion import confusion_matrices, draw_confusion, load_predictions
from .curves import draw_curves, find_runs, read_scalars
from .embedding import (FeatureSet, cluster_quality, draw_tsne, embed_tsne,
                        extract_features, save_embedding, view_quality)
from .run_pictures import TrainedRun, draw_run_pictures

__all__ = [
    'CAM_METHODS', 'FeatureSet', 'TrainedRun', 'cluster_quality',
    'compute_cams', 'confusion_matrices', 'draw_cam_grid', 'draw_confusion',
    'draw_curves', 'draw_run_pictures', 'draw_tsne', 'embed_tsne',
    'extract_features', 'find_runs', 'last_backbone_stage',
    'load_predictions', 'pick_pairs', 'read_scalars', 'save_embedding',
    'view_quality'
]
