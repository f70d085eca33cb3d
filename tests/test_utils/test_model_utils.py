"""mmsde.utils.model: the model inside MMEngine's wrappers."""
import torch.nn as nn

from mmsde.utils.model import unwrap_model


def test_unwrap_model_returns_the_wrapped_module_or_the_model():
    model = nn.Linear(2, 3)
    assert unwrap_model(model) is model
    assert unwrap_model(nn.DataParallel(model)) is model  # a MODEL_WRAPPER
