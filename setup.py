"""Install mmsde. Use ``tools/install.sh`` (or ``make install``) for the whole
stack: it builds mmcv, which pip's build isolation cannot.

As MMPretrain and MMDetection do for ``mim``, the package carries its
``configs/``, ``tools/`` and ``model-index.yml`` in ``mmsde/.mim``: links to
the checkout for an editable install (``pip install -e .``), copies for a
wheel or source archive.
"""
import shutil
import sys
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt``."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


def add_mim_extension() -> None:
    """Put :data:`MIM_FILES` under ``mmsde/.mim``: symbolic links for an
    editable install, copies when a wheel or source archive is built. A
    source archive already holds the copies (its tree has no ``configs/``),
    so building its wheel keeps them."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        link = True
    elif {'sdist', 'bdist_wheel'} & set(sys.argv):
        link = False
    else:
        return
    mim = HERE / 'mmsde' / '.mim'
    mim.mkdir(exist_ok=True)
    for name in MIM_FILES:
        source, target = HERE / name, mim / name
        if not source.exists():
            continue
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        if link:
            target.symlink_to(Path('..', '..', name))
        elif source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))
        else:
            shutil.copyfile(source, target)


version: dict = {}
exec((HERE / 'mmsde' / 'version.py').read_text(), version)

if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmsde',
        version=version['__version__'],
        description='Masked facial expression recognition (MSD-E) on '
        'MMPretrain',
        long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
        long_description_content_type='text/markdown',
        license='Apache-2.0',
        packages=find_packages(include=['mmsde', 'mmsde.*']),
        include_package_data=True,
        python_requires='>=3.10',
        install_requires=read_requirements('runtime') +
        ['mmcv>=2.0.0,<2.2.0'],
        extras_require={
            'tests': read_requirements('tests'),
            'optional': read_requirements('optional'),
            'faces': read_requirements('faces'),
            'demo': read_requirements('demo'),
        },
        classifiers=[
            'License :: OSI Approved :: Apache Software License',
            'Programming Language :: Python :: 3.10',
            'Programming Language :: Python :: 3.11',
            'Programming Language :: Python :: 3.12',
            'Programming Language :: Python :: 3.13',
        ],
        zip_safe=False,
    )
