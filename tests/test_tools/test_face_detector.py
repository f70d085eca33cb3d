"""The face-detection configs: a tiny RetinaNet trains on generated scenes
with mmsde's tools/train.py (and MMDetection's own), loads with
``init_detector`` and predicts boxes; the WIDER FACE configs build."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from e2e_helpers import REPO, run_tool, scalars
from face_helpers import mmdet_scope, write_tiny_face_config
from mmengine.config import Config

from mmsde.datasets.wider_face import generate_face_scenes
from mmsde.synthetic.scenes import render_scene

CONFIGS = REPO / 'configs' / 'face_detection'


@pytest.mark.slow
def test_tiny_detector_trains(tiny_face_detector):
    config, checkpoint = tiny_face_detector
    records = [r for r in scalars(checkpoint.parent) if 'loss' in r]
    assert records and all(math.isfinite(r['loss']) for r in records)
    assert {'loss_cls', 'loss_bbox'} <= set(records[-1])
    assert checkpoint.is_file() and Config.fromfile(str(config)).get(
        'default_scope') == 'mmdet'


@pytest.mark.slow
def test_tiny_detector_predicts_boxes(tiny_face_detector):
    from mmdet.apis import inference_detector, init_detector
    from mmdet.structures import DetDataSample
    from mmengine.registry import DefaultScope

    def scope_name():
        current = DefaultScope.get_current_instance()
        return current and current.scope_name
    before = scope_name()
    config, checkpoint = tiny_face_detector
    scene = render_scene(5, 0, img_size=96, num_faces=(2, 2))
    with mmdet_scope():
        model = init_detector(str(config), str(checkpoint), device='cpu')
        result = inference_detector(model, scene.img)
    assert scope_name() == before  # left as it was
    assert model.dataset_meta['classes'] == ('face', )
    assert isinstance(result, DetDataSample)
    pred = result.pred_instances
    assert pred.bboxes.ndim == 2 and pred.bboxes.shape[1] == 4
    assert pred.scores.shape == (len(pred.bboxes), )
    assert torch.all(pred.labels == 0)
    if len(pred.bboxes):  # boxes in the original image's pixels
        assert float(pred.bboxes.max()) <= 96 + 1e-3


@pytest.mark.slow
def test_scenes_config_trains_with_mmdetection_tools_train(tmp_path):
    """The configs are plain MMDetection configs: MMDetection's own
    tools/train.py (shipped in its package) trains them."""
    import mmdet
    mmdet_train = Path(mmdet.__file__).parent / '.mim' / 'tools' / 'train.py'
    generate_face_scenes(tmp_path / 'scenes', num_scenes=4, img_size=64,
                         num_faces=(1, 2), face_size=(0.4, 0.6))
    config = write_tiny_face_config(tmp_path / 'tiny.py', tmp_path / 'scenes',
                                    max_iters=2, img_size=64, batch_size=2)
    run_tool(sys.executable, mmdet_train, config, '--work-dir',
             tmp_path / 'work')
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()


def test_widerface_configs_build_model_and_dataset(tmp_path):
    """The R-50 / R-18 WIDER FACE configs build offline (pretrained init
    switched off) and read a set in the VOC layout."""
    from mmdet.registry import DATASETS, MODELS
    generate_face_scenes(tmp_path, num_scenes=3, img_size=64,
                         num_faces=(1, 1), split='val')
    for name, depth in (('retinanet_r50_fpn_1x_widerface.py', 50),
                        ('retinanet_r18_fpn_1x_widerface.py', 18)):
        cfg = Config.fromfile(str(CONFIGS / name))
        assert cfg.default_scope == 'mmdet'
        assert cfg.model.backbone.init_cfg.checkpoint == \
            f'torchvision://resnet{depth}'
        assert cfg.model.bbox_head.num_classes == 1
        cfg.model.backbone.init_cfg = None
        cfg.val_dataloader.dataset.data_root = str(tmp_path)
        with mmdet_scope():
            model = MODELS.build(cfg.model).eval()
            dataset = DATASETS.build(cfg.val_dataloader.dataset)
            with torch.no_grad():
                feats = model.extract_feat(torch.rand(1, 3, 64, 64))
        assert len(feats) == 5 and feats[0].shape[1] == 256
        assert len(dataset) == 3 and dataset.metainfo['classes'] == (
            'face', )
        assert np.array(dataset.get_data_info(0)['instances'][0]['bbox']
                        ).shape == (4, )
