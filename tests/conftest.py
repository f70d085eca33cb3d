"""Fixtures shared by the test folders: a tiny synthetic benchmark. The
end-to-end helpers live in ``e2e_helpers.py``."""
from pathlib import Path

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: end-to-end test that runs tools in subprocesses '
        '(deselect with -m "not slow")')


@pytest.fixture(scope='session')
def tiny_msde(tmp_path_factory) -> Path:
    """A 10-subject synthetic benchmark in the MSD-E layout (64x64 px)."""
    from mmsde.datasets import generate_synthetic_msde
    root = tmp_path_factory.mktemp('tiny_msde')
    generate_synthetic_msde(root, num_subjects=10, img_size=64, seed=0,
                            overwrite=True)
    return root
