from .mini_xception import MiniXception

__all__ = ['MiniXception']
