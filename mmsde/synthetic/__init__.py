"""The drawn world of the synthetic benchmark: faces, identities, masks.

Drawing only, no files: :mod:`mmsde.datasets.msde_writer` writes sets in
MSD-E's layout and :class:`~mmsde.datasets.transforms.SyntheticFaceMask`
masks images in a pipeline, both on top of this package.
"""
from .identity import EXPRESSIONS, Identity, expression_cues, make_identity
from .masks import MASK_STYLES, check_mask_styles, draw_face_mask
from .render import render_face, render_pair

__all__ = [
    'EXPRESSIONS', 'Identity', 'MASK_STYLES', 'check_mask_styles',
    'draw_face_mask', 'expression_cues', 'make_identity', 'render_face',
    'render_pair'
]
