"""mmsde: masked facial expression recognition on MMPretrain."""
from .version import __version__

__all__ = ['__version__']
