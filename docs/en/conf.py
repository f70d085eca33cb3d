"""Sphinx configuration of mmsde's documentation site (``make docs``).

Sources are MyST Markdown in this folder (the OpenMMLab layout); the API
reference is generated from the docstrings by autodoc, napoleon (Google
style) and autosummary into ``api/generated/`` (not committed).
"""
import importlib.util
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)

version_info: dict = {}
with open(os.path.join(REPO, 'mmsde', 'version.py')) as f:
    exec(f.read(), version_info)

project = 'mmsde'
author = 'mmsde contributors'
copyright = '2026, mmsde contributors'
release = version = version_info['__version__']

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.autosummary',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'sphinx_copybutton',
]
source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
exclude_patterns = ['_build']
templates_path = ['_templates']

# MyST: heading anchors like GitHub's, so `page.md#a-heading` links work in
# the site as they do on GitHub (tests/test_docs.py computes the same slugs)
myst_heading_anchors = 4
myst_enable_extensions = ['colon_fence']

# the API reference: members defined in each module (not the re-exports of a
# package's __all__, which would describe each object twice)
autosummary_generate = True
autodoc_default_options = {
    'members': True,
    'show-inheritance': True,
    'ignore-module-all': True,
}
autodoc_typehints = 'description'
autodoc_member_order = 'bysource'
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# the face tools' packages are missing on the light install (make install):
# describe their modules all the same
autodoc_mock_imports = [
    m for m in ('mmdet', 'gradio', 'h5py', 'onnx', 'onnxruntime')
    if importlib.util.find_spec(m) is None
]

html_theme = 'furo'
html_title = f'mmsde {release}'
html_static_path = []
copybutton_prompt_text = r'\$ '
copybutton_prompt_is_regexp = True



def _class_access_to_cached_randomness():
    """mmcv's ``cache_randomness`` descriptor fails when read from the class
    (it takes a weak reference to the instance), which napoleon's
    ``autodoc-skip-member`` handler does for every documented method: give
    the descriptor itself back on class access, in this build only."""
    from mmcv.transforms.utils import cache_randomness
    get_from_instance = cache_randomness.__get__

    def __get__(self, obj, cls=None):
        return self if obj is None else get_from_instance(self, obj, cls)

    cache_randomness.__get__ = __get__


_class_access_to_cached_randomness()
