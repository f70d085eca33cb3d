"""Model helpers shared by hooks and APIs."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside MMEngine's wrappers (DDP, FSDP, ...), or ``model``
    itself when it is not wrapped."""
    return model.module if is_model_wrapper(model) else model
