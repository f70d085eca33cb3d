"""Install mmsde. Use ``tools/install.sh`` (or ``make install``) for the full
stack: it builds mmcv with compiled ops, which pip's build isolation cannot."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt``."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


version: dict = {}
exec((HERE / 'mmsde' / 'version.py').read_text(), version)

setup(
    name='mmsde',
    version=version['__version__'],
    description='Masked facial expression recognition (MSD-E) on MMPretrain',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['mmsde', 'mmsde.*']),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime') + ['mmcv>=2.0.0,<2.2.0'],
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
        'faces': read_requirements('faces'),
    },
    zip_safe=False,
)
