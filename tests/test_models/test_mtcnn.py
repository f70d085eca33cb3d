"""MTCNN face detector: converted facenet-pytorch weights, real photos.

The photo tests need the converted checkpoint in the mmsde cache
(``tools/model_converters/mtcnn_from_facenet_pytorch.py``, run by
``tools/install.sh``) and scikit-image's bundled photos; they skip otherwise.
The reference numbers were measured with facenet-pytorch 2.6.0's own MTCNN
(an independent implementation) on the same photo.
"""
import io
import runpy
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.apis import inference_detector, init_detector
from mmengine.registry import DefaultScope

from mmsde.models.converters import CheckpointMismatchError
from mmsde.models.converters.mtcnn import (KEY_MAPS, WHEEL_DATA,
                                           WHEEL_LICENSE, convert_mtcnn_wheel,
                                           convert_net, mtcnn_checkpoint_path)
from mmsde.models.detectors import MTCNNFaceDetector, ShrinkToFit
from mmsde.models.detectors.mtcnn_cascade import nms_min
from mmsde.models.detectors.mtcnn_nets import ONet, PNet, RNet
from mmsde.utils import load_checkpoint_file

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'face_detection' / \
    'mtcnn_facenet-pytorch-weights.py'
TOOL = REPO / 'tools' / 'model_converters' / 'mtcnn_from_facenet_pytorch.py'
CHECKPOINT = mtcnn_checkpoint_path()
needs_weights = pytest.mark.skipif(
    not CHECKPOINT.is_file(),
    reason=f'converted MTCNN weights not in the cache ({CHECKPOINT}); run '
    'tools/model_converters/mtcnn_from_facenet_pytorch.py')

# facenet-pytorch 2.6.0's MTCNN on skimage.data.astronaut() (RGB, 512x512)
REF_BOX = [181.05, 62.16, 267.75, 172.05]
REF_LANDMARKS = [[205.01, 101.73], [246.76, 103.71], [224.67, 128.96],
                 [201.72, 139.25], [245.27, 141.86]]
REF_SCORE = 0.999998


@pytest.fixture(scope='module')
def skdata():
    return pytest.importorskip('skimage.data')


@pytest.fixture(scope='module')
def astronaut_bgr(skdata) -> np.ndarray:
    return np.ascontiguousarray(skdata.astronaut()[..., ::-1])


@pytest.fixture(scope='module')
def model():
    if not CHECKPOINT.is_file():
        pytest.skip(f'converted MTCNN weights not in {CHECKPOINT}')
    torch.set_num_threads(2)
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield init_detector(str(CONFIG), str(CHECKPOINT), device='cpu')


def _detect(model, img: np.ndarray):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return inference_detector(model, img).pred_instances


def _pack(model, images, steps=None):
    """Images through the test pipeline (or ``steps``) into one batch."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        cfg = [dict(type='mmdet.LoadImageFromNDArray')] + (
            steps if steps is not None else
            [dict(s) for s in model.cfg.test_dataloader.dataset.pipeline[1:]])
        pipeline = Compose(cfg)
        packed = [pipeline(dict(img=img, img_id=i))
                  for i, img in enumerate(images)]
    return dict(inputs=[p['inputs'] for p in packed],
                data_samples=[p['data_samples'] for p in packed])


def _test_step(model, data):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return [s.pred_instances for s in model.test_step(data)]


NO_RESIZE = [dict(type='mmdet.PackDetInputs',
                  meta_keys=('img_id', 'ori_shape', 'img_shape',
                             'scale_factor'))]


@needs_weights
def test_astronaut_has_one_face_with_ordered_landmarks(model, astronaut_bgr):
    found = _detect(model, astronaut_bgr)
    assert len(found) == 1
    box = found.bboxes[0].numpy()
    marks = found.keypoints[0].numpy()
    assert found.labels.tolist() == [0]
    assert found.scores[0] > 0.99
    # the face is in the upper middle of the photo, about 90x110 px
    x1, y1, x2, y2 = box
    assert 60 < x2 - x1 < 130 and 70 < y2 - y1 < 150
    assert 150 < (x1 + x2) / 2 < 300 and 80 < (y1 + y2) / 2 < 150
    inside = ((marks[:, 0] > x1) & (marks[:, 0] < x2) & (marks[:, 1] > y1)
              & (marks[:, 1] < y2))
    assert inside.all(), (box, marks)
    left_eye, right_eye, nose, left_mouth, right_mouth = marks
    assert left_eye[0] < right_eye[0] and left_mouth[0] < right_mouth[0]
    eyes_y = max(left_eye[1], right_eye[1])
    assert eyes_y < nose[1] < min(left_mouth[1], right_mouth[1])


@needs_weights
def test_astronaut_matches_facenet_pytorch(model, astronaut_bgr):
    """Same numbers as facenet-pytorch's own MTCNN on this photo."""
    found = _detect(model, astronaut_bgr)
    np.testing.assert_allclose(found.bboxes[0].numpy(), REF_BOX, atol=0.01)
    np.testing.assert_allclose(found.keypoints[0].numpy(), REF_LANDMARKS,
                               atol=0.01)
    assert abs(found.scores[0].item() - REF_SCORE) < 1e-5


@needs_weights
@pytest.mark.parametrize('name', ['coffee', 'rocket', 'chelsea'])
def test_photos_without_faces(model, skdata, name):
    img = np.ascontiguousarray(getattr(skdata, name)()[..., ::-1])
    found = _detect(model, img)
    assert len(found) == 0
    assert found.bboxes.shape == (0, 4) and found.keypoints.shape == (0, 5, 2)


@needs_weights
def test_batch_equals_single_and_scales(model, astronaut_bgr):
    """A 512 and a 1024 px photo padded into one batch give what each gives
    alone; the 1024 px one, halved, is the 512 px one."""
    import cv2
    big = cv2.resize(astronaut_bgr, (1024, 1024),
                     interpolation=cv2.INTER_LINEAR)
    small = astronaut_bgr[:, :480]  # another shape, so the batch is ragged
    batch = _test_step(model, _pack(model, [small, big], NO_RESIZE))
    alone = [_test_step(model, _pack(model, [img], NO_RESIZE))[0]
             for img in (small, big)]
    for together, single in zip(batch, alone):
        assert len(together) == len(single) == 1
        np.testing.assert_allclose(together.bboxes.numpy(),
                                   single.bboxes.numpy(), atol=1e-3)
        np.testing.assert_allclose(together.keypoints.numpy(),
                                   single.keypoints.numpy(), atol=1e-3)
        np.testing.assert_allclose(together.scores.numpy(),
                                   single.scores.numpy(), atol=1e-5)
    side = REF_BOX[2] - REF_BOX[0]
    np.testing.assert_allclose(batch[1].bboxes[0].numpy() / 2, REF_BOX,
                               atol=0.06 * side)
    np.testing.assert_allclose(batch[1].keypoints[0].numpy() / 2,
                               REF_LANDMARKS, atol=0.03 * side)


@needs_weights
def test_rescale_to_original_pixels(model, astronaut_bgr):
    """The config shrinks a 1024 px photo to 640 px; boxes come back in the
    photo's pixels (twice the 512 px photo's) and inside it."""
    import cv2
    big = cv2.resize(astronaut_bgr, (1024, 1024),
                     interpolation=cv2.INTER_LINEAR)
    data = _pack(model, [big])
    assert data['data_samples'][0].img_shape == (640, 640)
    found = _test_step(model, data)[0]
    assert len(found) == 1
    side = REF_BOX[2] - REF_BOX[0]
    np.testing.assert_allclose(found.bboxes[0].numpy() / 2, REF_BOX,
                               atol=0.06 * side)
    np.testing.assert_allclose(found.keypoints[0].numpy() / 2,
                               REF_LANDMARKS, atol=0.03 * side)
    with DefaultScope.overwrite_default_scope('mmdet'):
        inputs = model.data_preprocessor(data, False)
        raw = model.predict(inputs['inputs'], inputs['data_samples'],
                            rescale=False)[0].pred_instances
    np.testing.assert_allclose(raw.bboxes.numpy() / 0.625,
                               found.bboxes.numpy(), rtol=1e-5)


@needs_weights
def test_boxes_are_clipped_to_the_photo(model, astronaut_bgr):
    """A face cut by the top edge: its box stops at the photo's border."""
    img = np.ascontiguousarray(astronaut_bgr[100:, 150:])
    found = _detect(model, img)
    assert len(found) == 1
    h, w = img.shape[:2]
    box = found.bboxes[0]
    assert box[0] >= 0 and box[1] >= 0 and box[2] <= w and box[3] <= h
    assert box[1] == 0  # the regressed box reaches above the photo


def test_loss_is_refused():
    model = MTCNNFaceDetector()
    with pytest.raises(NotImplementedError, match='RetinaNet'):
        model.loss(torch.zeros(1, 3, 32, 32), [])


def test_backbone_must_be_empty():
    with pytest.raises(ValueError, match='no backbone'):
        MTCNNFaceDetector(backbone=dict(type='ResNet'))


def test_nms_min_suppresses_contained_boxes():
    boxes = torch.tensor([[0., 0., 99., 99.], [10., 10., 29., 29.],
                          [0., 0., 99., 99.], [200., 0., 219., 19.]])
    scores = torch.tensor([0.9, 0.95, 0.8, 0.7])
    groups = torch.tensor([0, 0, 1, 0])
    # the small box lies inside the big one: overlap/min area = 1
    keep = nms_min(boxes, scores, groups, 0.7).tolist()
    assert keep == [1, 2, 3]


def test_fc_layers_are_transposed_from_the_source():
    """facenet-pytorch's R-Net flattens (W, H, C); ours flattens (C, H, W):
    the converted fc weight must give the same product."""
    torch.manual_seed(0)
    source = {k: torch.randn(v.shape) for k, v in _source_state('rnet')}
    ours = convert_net('rnet', source, 'test')
    feat = torch.randn(2, 64, 3, 3)
    theirs = feat.permute(0, 3, 2, 1).flatten(1) @ source['dense4.weight'].t()
    mine = feat.flatten(1) @ ours['fc.weight'].t()
    torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-4)


def _source_state(net: str):
    """Names and shapes of facenet-pytorch's state dict of ``net``."""
    nets = dict(pnet=PNet, rnet=RNet, onet=ONet)
    names = KEY_MAPS[net]
    return [(f'{names[k.split(".")[0]]}.{k.split(".", 1)[1]}', v)
            for k, v in nets[net]().state_dict().items()]


def _fake_wheel(path: Path, edit=None) -> Path:
    """A zip laid out like the facenet-pytorch wheel, random weights."""
    with zipfile.ZipFile(path, 'w') as archive:
        for net in ('pnet', 'rnet', 'onet'):
            state = {k: torch.randn(v.shape) for k, v in _source_state(net)}
            if edit and net == edit[0]:
                edit[1](state)
            buf = io.BytesIO()
            torch.save(state, buf)
            archive.writestr(WHEEL_DATA.format(net), buf.getvalue())
        archive.writestr(WHEEL_LICENSE, 'MIT License\n')
    return path


def test_converter_writes_a_safe_checkpoint(tmp_path):
    wheel = _fake_wheel(tmp_path / 'facenet_pytorch-2.6.0-py3-none-any.whl')
    dst = tmp_path / 'out' / 'mtcnn.pth'
    assert convert_mtcnn_wheel(str(wheel), str(dst)) == dst
    assert (tmp_path / 'out' / 'mtcnn.LICENSE.md').read_text().startswith(
        'MIT')
    checkpoint = load_checkpoint_file(str(dst))  # mmsde's safe loader
    assert checkpoint['meta']['dataset_meta'] == {'classes': ('face', )}
    assert 'facenet-pytorch 2.6.0' in checkpoint['meta']['source']
    detector = MTCNNFaceDetector()
    detector.load_state_dict(checkpoint['state_dict'], strict=True)
    # idempotent: kept unless forced
    before = dst.stat().st_mtime_ns
    convert_mtcnn_wheel(str(wheel), str(dst))
    assert dst.stat().st_mtime_ns == before


@pytest.mark.parametrize('edit, message', [
    (('rnet', lambda s: s.pop('dense4.bias')), "missing keys (1): "
     "['dense4.bias']"),
    (('onet', lambda s: s.__setitem__('dense6_3.weight', torch.zeros(8, 256))),
     'dense6_3.weight: checkpoint (8, 256) vs model (10, 256)'),
    (('pnet', lambda s: s.__setitem__('conv5.weight', torch.zeros(1))),
     "unexpected keys (1): ['conv5.weight']"),
])
def test_converter_names_the_bad_key(tmp_path, edit, message):
    wheel = _fake_wheel(tmp_path / 'broken.whl', edit)
    dst = tmp_path / 'mtcnn.pth'
    with pytest.raises(CheckpointMismatchError) as err:
        convert_mtcnn_wheel(str(wheel), str(dst))
    assert message in str(err.value)
    assert f'broken.whl:facenet_pytorch/data/{edit[0]}.pt' in str(err.value)
    assert not dst.exists()


def test_converter_tool_reports_errors(tmp_path, monkeypatch, capsys):
    wheel = _fake_wheel(tmp_path / 'broken.whl',
                        ('pnet', lambda s: s.pop('conv1.weight')))
    monkeypatch.setattr(sys, 'argv', [str(TOOL), str(wheel), '--out',
                                      str(tmp_path / 'x.pth')])
    with pytest.raises(SystemExit, match='conv1.weight'):
        runpy.run_path(str(TOOL), run_name='__main__')


@needs_weights
def test_installed_checkpoint_loads_safely():
    checkpoint = load_checkpoint_file(str(CHECKPOINT))
    assert checkpoint['meta']['source'] == 'facenet-pytorch 2.6.0 (MIT)'
    assert CHECKPOINT.with_suffix('.LICENSE.md').is_file()
    MTCNNFaceDetector().load_state_dict(checkpoint['state_dict'])


def test_shrink_to_fit_only_shrinks():
    shrink = ShrinkToFit(scale=(640, 640))
    small = shrink(dict(img=np.zeros((240, 320, 3), np.uint8)))
    assert small['img'].shape == (240, 320, 3)
    assert small['scale_factor'] == (1.0, 1.0)
    big = shrink(dict(img=np.zeros((960, 1280, 3), np.uint8)))
    assert big['img'].shape == (480, 640, 3)
    np.testing.assert_allclose(big['scale_factor'], (0.5, 0.5))
