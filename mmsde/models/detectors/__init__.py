"""Face detectors and their transforms, registered into MMDetection's
registries (needs mmdet).

Not imported by ``mmsde`` itself (MMDetection is optional); detection
configs load it with ``custom_imports=dict(imports=['mmsde.models.detectors'],
allow_failed_imports=False)``.
"""
from .mtcnn import MTCNNFaceDetector
from .mtcnn_weights import convert_mtcnn_wheel, mtcnn_checkpoint_path
from .transforms import ShrinkToFit

__all__ = [
    'MTCNNFaceDetector', 'ShrinkToFit', 'convert_mtcnn_wheel',
    'mtcnn_checkpoint_path'
]
