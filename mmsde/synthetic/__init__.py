"""The drawn world of the synthetic benchmark: faces, identities, masks,
and detection scenes of several faces.

Drawing only, no files: :mod:`mmsde.datasets.msde_writer` writes sets in
MSD-E's layout, :mod:`mmsde.datasets.wider_face` scenes in WIDER FACE's, and
:class:`~mmsde.datasets.transforms.SyntheticFaceMask` masks images in a
pipeline, all on top of this package.
"""
from .identity import (EXPRESSIONS, Identity, expression_cues, make_identity,
                       restaged)
from .masks import MASK_STYLES, check_mask_styles, draw_face_mask
from .render import (MASKED_VIEWS, check_masked_view, render_face,
                     render_pair, render_pair_photos)
from .scenes import Scene, face_box, render_scene

# The version of the drawing: bump it whenever a change alters the pixels of
# generated faces or masks (tests/test_synthetic/test_render.py pins them),
# so that caches keyed by it (identity sets, face-pretrained checkpoints)
# are rebuilt.
GENERATOR_VERSION = 1

__all__ = [
    'GENERATOR_VERSION', 'EXPRESSIONS', 'Identity', 'MASKED_VIEWS',
    'MASK_STYLES', 'Scene', 'check_mask_styles', 'check_masked_view',
    'draw_face_mask', 'expression_cues', 'face_box', 'make_identity',
    'render_face', 'render_pair', 'render_pair_photos', 'render_scene',
    'restaged'
]
