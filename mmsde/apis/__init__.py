from .runner import build_runner, load_config, test, train, train_and_test

__all__ = ['build_runner', 'load_config', 'test', 'train', 'train_and_test']
