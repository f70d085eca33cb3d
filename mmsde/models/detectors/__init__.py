"""Face detectors and their transforms, registered into MMDetection's
registries (needs mmdet).

Not imported by ``mmsde`` itself (MMDetection is optional); detection
configs load it with ``custom_imports=dict(imports=['mmsde.models.detectors'],
allow_failed_imports=False)``. The weights of MTCNN are converted by
:mod:`mmsde.models.converters.mtcnn`.
"""
from mmsde.utils.face_tools import require_face_tools

require_face_tools('mmsde.models.detectors')
from .mtcnn import MTCNNFaceDetector  # noqa: E402
from .transforms import ShrinkToFit  # noqa: E402

__all__ = ['MTCNNFaceDetector', 'ShrinkToFit']
