"""The face tools' shared command-line options."""
import argparse

import pytest

from mmsde.utils.face_args import (add_crop_arguments, add_detector_arguments,
                                   crop_settings_from_args, detector_options)
from mmsde.utils.face_crop import CropSettings


def parser(**kwargs) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_detector_arguments(parser)
    add_crop_arguments(parser, **kwargs)
    return parser


def test_defaults_are_the_crop_settings_and_the_offline_detector():
    args = parser().parse_args([])
    assert crop_settings_from_args(args) == CropSettings()
    assert detector_options(args) == dict(config=None, checkpoint=None,
                                          device='cpu')


def test_options_reach_the_settings_and_the_detector():
    args = parser().parse_args([
        '--det-config', 'det.py', '--det-checkpoint', 'det.pth', '--device',
        'cuda', '--size', '64', '--margin', '0.2', '--align', 'box',
        '--no-face', 'keep', '--multi-face', 'all', '--score-thr', '0.7'
    ])
    assert crop_settings_from_args(args) == CropSettings(
        size=64, margin=0.2, align='box', no_face='keep', multi_face='all',
        score_thr=0.7)
    assert detector_options(args) == dict(config='det.py',
                                          checkpoint='det.pth', device='cuda')


def test_a_tool_can_narrow_the_multi_face_policies(capsys):
    with pytest.raises(SystemExit):
        parser(multi_face=('largest', )).parse_args(['--multi-face', 'all'])
    assert "invalid choice: 'all'" in capsys.readouterr().err
