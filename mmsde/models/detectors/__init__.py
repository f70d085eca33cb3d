"""Face detectors and their transforms, registered into MMDetection's
registries (needs mmdet).

Not imported by ``mmsde`` itself (MMDetection is optional); detection
configs load it with ``custom_imports=dict(imports=['mmsde.models.detectors'],
allow_failed_imports=False)``.
"""
from mmsde.utils.face_tools import require_face_tools

require_face_tools('mmsde.models.detectors')
from .mtcnn import MTCNNFaceDetector  # noqa: E402
from .mtcnn_weights import (convert_mtcnn_wheel,  # noqa: E402
                            mtcnn_checkpoint_path)
from .transforms import ShrinkToFit  # noqa: E402

__all__ = [
    'MTCNNFaceDetector', 'ShrinkToFit', 'convert_mtcnn_wheel',
    'mtcnn_checkpoint_path'
]
