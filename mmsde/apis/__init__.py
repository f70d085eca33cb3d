from .export import export_onnx
from .face_pretrain import (cached_backbone_path, pretrain_faces,
                            register_face_pretrain_scheme)
from .inferencer import (FaceExpression, MaskedFERInferencer, index_models,
                         model_from_index)
from .runner import (build_runner, close_process_group, load_config, test,
                     train, train_and_test)

__all__ = [
    'FaceExpression', 'MaskedFERInferencer', 'build_runner',
    'cached_backbone_path', 'close_process_group', 'export_onnx',
    'index_models', 'load_config', 'model_from_index', 'pretrain_faces',
    'register_face_pretrain_scheme', 'test', 'train', 'train_and_test'
]
