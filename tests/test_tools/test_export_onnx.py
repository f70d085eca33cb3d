"""ONNX export (mmsde.apis.export, tools/deployment/export_onnx.py): the
file's outputs match PyTorch at batch sizes 1 and 3 on inputs the exporter
never saw, and bad arguments fail with a clear message."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from e2e_helpers import BASELINE_CONFIG, REPO

from mmsde.apis.export import (DEFAULT_ATOL, ExportArgumentError,
                               ExportCheckError, export_model, export_onnx)
from mmsde.apis.model import load_classifier
from mmsde.utils.classes import FER_CLASSES

onnx = pytest.importorskip('onnx', reason='ONNX export needs onnx')
ort = pytest.importorskip('onnxruntime', reason='the check needs onnxruntime')
pytest.importorskip('onnxscript', reason="torch's ONNX exporter needs it")

MINI_XCEPTION_CONFIG = (REPO / 'configs' / 'real_faces' /
                        'mini-xception_fer2013-pre_64px-grey_msde.py')


def random_checkpoint(config: Path, path: Path, seed: int = 0) -> Path:
    """A checkpoint of the config's model with random weights and
    BatchNorm statistics (so that normalisation is not the identity)."""
    torch.manual_seed(seed)
    model, _ = load_classifier(str(config), None)
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith('running_var'):
            state[key] = torch.rand_like(value) + 0.5
        elif key.endswith('running_mean'):
            state[key] = torch.randn_like(value) * 0.1
    torch.save(dict(state_dict=state, meta=dict(seed=seed)), path)
    return path


def onnx_matches_torch(config: Path, ckpt: Path, onnx_file: Path,
                       shape) -> None:
    """Run the file at batch 1 and 3 on new inputs; compare with PyTorch."""
    model, _ = load_classifier(str(config), str(ckpt))
    session = ort.InferenceSession(str(onnx_file),
                                   providers=['CPUExecutionProvider'])
    (inp, ) = session.get_inputs()
    channels = inp.shape[1]
    gen = torch.Generator().manual_seed(123)
    for batch in (1, 3):
        x = torch.randn(batch, channels, *shape, generator=gen)
        logits, scores = session.run(['logits', 'scores'],
                                     {inp.name: x.numpy()})
        with torch.no_grad():
            ref = model(x, mode='tensor')
        assert logits.shape == (batch, 7)
        assert np.abs(logits - ref.numpy()).max() < DEFAULT_ATOL
        assert np.abs(scores - ref.softmax(1).numpy()).max() < DEFAULT_ATOL


@pytest.mark.parametrize('config', [BASELINE_CONFIG, MINI_XCEPTION_CONFIG],
                         ids=['resnet18', 'mini-xception'])
def test_export_matches_pytorch(config, tmp_path):
    ckpt = random_checkpoint(config, tmp_path / 'model.pth')
    out = tmp_path / 'model.onnx'
    report = export_onnx(str(config), str(ckpt), str(out))  # size: config
    assert sorted(report.max_abs_diff) == [1, 3]
    assert all(v < DEFAULT_ATOL for d in report.max_abs_diff.values()
               for v in d.values())
    grey = config == MINI_XCEPTION_CONFIG
    assert report.input_shape == ('N', 1 if grey else 3, 64, 64)
    meta = {p.key: json.loads(p.value)
            for p in onnx.load(str(out)).metadata_props}
    assert meta['mean'] == pytest.approx(
        [127.5] if grey else [123.675, 116.28, 103.53])
    assert meta['to_rgb'] is (not grey)
    assert meta['classes'] == list(FER_CLASSES)  # the dataset's METAINFO
    onnx_matches_torch(config, ckpt, out, (64, 64))


def test_bad_shapes(tmp_path):
    ckpt = random_checkpoint(MINI_XCEPTION_CONFIG, tmp_path / 'model.pth')
    out = str(tmp_path / 'model.onnx')
    with pytest.raises(ExportArgumentError, match='two positive integers'):
        export_onnx(str(MINI_XCEPTION_CONFIG), str(ckpt), out, shape=(0, 64))
    with pytest.raises(ExportArgumentError, match='two positive integers'):
        export_onnx(str(MINI_XCEPTION_CONFIG), str(ckpt), out, shape=(64, ))
    # the stem's two unpadded 3x3 convolutions leave nothing of 4x4
    with pytest.raises(ExportArgumentError,
                       match=r'does not run on inputs of shape '
                       r'\(N, 1, 4, 4\).*--shape'):
        export_onnx(str(MINI_XCEPTION_CONFIG), str(ckpt), out, shape=(4, 4))
    assert not Path(out).exists()


def test_check_failure_is_reported(tmp_path):
    model, _ = load_classifier(str(MINI_XCEPTION_CONFIG), None)
    out = tmp_path / 'model.onnx'
    # no difference is below a negative tolerance: the failure path
    with pytest.raises(ExportCheckError,
                       match=r'differs from PyTorch by more than -1'):
        export_model(model, str(out), (64, 64), atol=-1.0)


def test_older_opset(tmp_path):
    """Opsets below 18 go through torch's TorchScript exporter, with the
    same dynamic batch axis and checks."""
    ckpt = random_checkpoint(MINI_XCEPTION_CONFIG, tmp_path / 'model.pth')
    out = tmp_path / 'model.onnx'
    export_onnx(str(MINI_XCEPTION_CONFIG), str(ckpt), str(out), opset=13)
    assert onnx.load(str(out)).opset_import[0].version == 13
    onnx_matches_torch(MINI_XCEPTION_CONFIG, ckpt, out, (64, 64))


def test_cli_rejects_bad_shape(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'deployment' / 'export_onnx.py'),
         str(MINI_XCEPTION_CONFIG), str(tmp_path / 'none.pth'),
         '--out', str(tmp_path / 'x.onnx'), '--shape', '0', '64'],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 2
    assert '--shape must be two positive integers, got [0, 64]' in \
        proc.stderr
