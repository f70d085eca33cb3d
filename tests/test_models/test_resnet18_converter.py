"""ResNet-18 checkpoints (MS-Celeb-1M layout, torchvision) to MMPretrain."""
import runpy
import sys
from pathlib import Path
from typing import Dict

import pytest
import torch
import torchvision
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.models import ResNet
from mmpretrain.registry import MODELS

from mmsde.models.converters import (CheckpointMismatchError,
                                     convert_resnet18_checkpoint)

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'model_converters' / 'resnet18_to_mmpretrain.py'


@pytest.fixture(autouse=True)
def mmpretrain_scope() -> None:
    """Build in MMPretrain's scope, whichever an earlier test left."""
    init_default_scope('mmpretrain')


@pytest.fixture(scope='module')
def torchvision_resnet18() -> torchvision.models.ResNet:
    """A randomly initialised torchvision ResNet-18 (no download) whose
    BatchNorm statistics are not the defaults, so every tensor matters."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.1, 0.1)
            module.num_batches_tracked.fill_(7)
    return model.eval()


@pytest.fixture
def source(torchvision_resnet18) -> Dict[str, torch.Tensor]:
    """The torchvision state dict, copied so a test may edit it."""
    return {k: v.clone() for k, v in torchvision_resnet18.state_dict().items()}


def _save_msceleb_style(state_dict: Dict, path: Path) -> Path:
    """Save like ``ijba_res18_naive.pth.tar``: DataParallel keys in a dict."""
    torch.save(
        dict(
            epoch=20,
            arch='resnet18',
            state_dict={f'module.{k}': v
                        for k, v in state_dict.items()}), path)
    return path


@pytest.fixture(params=['msceleb', 'torchvision'])
def source_file(request, source, tmp_path) -> Path:
    """The source checkpoint in the MS-Celeb-1M layout or torchvision's."""
    if request.param == 'msceleb':
        return _save_msceleb_style(source, tmp_path / 'ijba_res18.pth.tar')
    path = tmp_path / 'resnet18.pth'
    torch.save(source, path)
    return path


def test_every_tensor_round_trips(source_file, source, tmp_path):
    out = tmp_path / 'out' / 'resnet18_mmpretrain.pth'
    report = convert_resnet18_checkpoint(str(source_file), str(out))
    converted = torch.load(out, map_location='cpu', weights_only=True)
    state_dict = converted['state_dict']
    assert set(state_dict) == {
        f'backbone.{k}'
        for k in source if not k.startswith('fc.')
    }
    for key, value in state_dict.items():
        torch.testing.assert_close(
            value, source[key[len('backbone.'):]], rtol=0, atol=0)
    assert sorted(report.dropped) == ['fc.bias', 'fc.weight']
    assert converted['meta']['dropped_keys'] == report.dropped
    assert converted['meta']['converted_from'] == source_file.name
    assert report.filled == []


def test_backbone_output_matches_torchvision(source_file,
                                             torchvision_resnet18, tmp_path):
    out = tmp_path / 'resnet18_mmpretrain.pth'
    convert_resnet18_checkpoint(str(source_file), str(out))
    state_dict = torch.load(out, weights_only=True)['state_dict']
    backbone = ResNet(depth=18)
    backbone.load_state_dict(
        {k[len('backbone.'):]: v
         for k, v in state_dict.items()}, strict=True)
    backbone.eval()
    features = torch.nn.Sequential(
        *list(torchvision_resnet18.children())[:-2]).eval()
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = features(inputs)
        (actual, ) = backbone(inputs)
    assert actual.shape == (2, 512, 2, 2)
    torch.testing.assert_close(actual, expected)


def converted(source, tmp_path) -> Path:
    """``source`` saved as ijba_res18.pth.tar, then converted."""
    src = _save_msceleb_style(source, tmp_path / 'ijba_res18.pth.tar')
    out = tmp_path / 'resnet18_mmpretrain.pth'
    convert_resnet18_checkpoint(str(src), str(out))
    return out


def resnet18_classifier(**backbone) -> torch.nn.Module:
    """An MMPretrain ResNet-18 ImageClassifier of 7 classes."""
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18, **backbone),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=7,
                      in_channels=512)))


def test_image_classifier_loads_through_init_cfg(source, tmp_path):
    out = converted(source, tmp_path)
    model = resnet18_classifier(init_cfg=dict(
        type='Pretrained', checkpoint=str(out), prefix='backbone.'))
    model.init_weights()
    loaded = model.backbone.state_dict()
    for key, value in source.items():
        if not key.startswith('fc.'):
            torch.testing.assert_close(loaded[key], value, rtol=0, atol=0)


def test_loads_as_full_classifier_checkpoint(source, tmp_path):
    out = converted(source, tmp_path)
    model = resnet18_classifier()
    load_checkpoint(model, str(out), map_location='cpu', strict=False)
    torch.testing.assert_close(model.backbone.layer4[1].conv2.weight,
                               source['layer4.1.conv2.weight'])


def test_old_checkpoint_without_bn_counters(source, tmp_path):
    old = {k: v for k, v in source.items() if 'num_batches_tracked' not in k}
    src = _save_msceleb_style(old, tmp_path / 'old.pth.tar')
    out = tmp_path / 'out.pth'
    report = convert_resnet18_checkpoint(str(src), str(out))
    assert 'layer4.1.bn2.num_batches_tracked' in report.filled
    assert len(report.filled) == 20
    state_dict = torch.load(out, weights_only=True)['state_dict']
    ResNet(depth=18).load_state_dict(
        {k[len('backbone.'):]: v
         for k, v in state_dict.items()}, strict=True)


@pytest.mark.parametrize('edit, message', [
    (lambda sd: sd.pop('layer4.1.bn2.weight'),
     r"missing keys \(1\): \['layer4.1.bn2.weight'\]"),
    (lambda sd: sd.update({'layer4.1.bn2.weight': torch.ones(256)}),
     r'layer4.1.bn2.weight: checkpoint \(256,\) vs ResNet-18 \(512,\)'),
    (lambda sd: sd.update({'layer1.2.conv1.weight': torch.ones(64, 64, 3)}),
     r'unexpected backbone keys.*layer1.2.conv1.weight'),
])
def test_mismatch_refuses_to_write(source, tmp_path, edit, message):
    edit(source)
    src = _save_msceleb_style(source, tmp_path / 'bad.pth.tar')
    out = tmp_path / 'out.pth'
    with pytest.raises(CheckpointMismatchError, match=message):
        convert_resnet18_checkpoint(str(src), str(out))
    assert not out.exists()


def test_unrelated_checkpoint_shows_its_keys(tmp_path):
    src = tmp_path / 'other.pth'
    torch.save({'state_dict': {'encoder.weight': torch.ones(2)}}, src)
    with pytest.raises(CheckpointMismatchError, match='encoder.weight'):
        convert_resnet18_checkpoint(str(src), str(tmp_path / 'out.pth'))


def test_tool_writes_and_reports(source, tmp_path, monkeypatch, capsys):
    src = _save_msceleb_style(source, tmp_path / 'ijba_res18.pth.tar')
    out = tmp_path / 'out.pth'
    monkeypatch.setattr(sys, 'argv', [str(TOOL), str(src), str(out)])
    runpy.run_path(str(TOOL), run_name='__main__')
    printed = capsys.readouterr().out
    assert 'converted 120 tensors' in printed
    assert 'dropped (not in the backbone): fc.weight (1000, 512)' in printed
    assert out.exists()


def test_tool_exits_with_the_missing_key(source, tmp_path, monkeypatch):
    source.pop('layer4.1.bn2.weight')
    src = _save_msceleb_style(source, tmp_path / 'bad.pth.tar')
    out = tmp_path / 'out.pth'
    monkeypatch.setattr(sys, 'argv', [str(TOOL), str(src), str(out)])
    with pytest.raises(SystemExit, match='layer4.1.bn2.weight'):
        runpy.run_path(str(TOOL), run_name='__main__')
    assert not out.exists()
