"""require_extra: a missing package of an extra is named with the extra."""
import sys

import pytest

from mmsde.utils.extras import MissingExtraError, require_extra


def test_passes_when_the_modules_are_there():
    require_extra('optional', 'json', 'numpy', what='nothing')


def test_names_the_missing_module_the_extra_and_the_command(monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnx', None)  # find_spec: None
    with pytest.raises(MissingExtraError) as info:
        require_extra('optional', 'numpy', 'onnx', what='ONNX export')
    message = str(info.value)
    assert message.startswith('ONNX export needs onnx, ')
    assert 'numpy' not in message
    assert "'optional' extra" in message
    assert 'pip install -r requirements/optional.txt' in message
    assert isinstance(info.value, ImportError)


def test_refuses_an_unknown_extra():
    with pytest.raises(ValueError, match="'gpu'"):
        require_extra('gpu', 'json', what='x')
