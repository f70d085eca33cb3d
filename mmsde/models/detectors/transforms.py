"""Detection pipeline transforms, registered into MMDetection."""
from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ShrinkToFit(Resize):
    """Keep-ratio resize that only ever shrinks.

    A photo larger than ``scale`` (long side above ``max(scale)`` or short
    side above ``min(scale)``) is resized to fit, as MMDetection's
    ``Resize(keep_ratio=True)`` does; a photo that already fits passes
    unchanged with ``scale_factor=(1.0, 1.0)`` (``Resize`` would enlarge
    it, which for a detector with a minimum face size only costs time).

    Args:
        scale (tuple[int, int]): The bound, ``(long, short)`` in any order.
        **kwargs: Other ``Resize`` arguments (``interpolation``,
            ``backend``, ...); ``keep_ratio`` is always True.
    """

    def __init__(self, scale, **kwargs) -> None:
        kwargs.pop('keep_ratio', None)
        super().__init__(scale=scale, keep_ratio=True, **kwargs)

    def transform(self, results: dict) -> dict:
        """Resize ``results['img']`` (and annotations) only if too large."""
        h, w = results['img'].shape[:2]
        if max(h, w) <= max(self.scale) and min(h, w) <= min(self.scale):
            results['img_shape'] = (h, w)
            results['scale_factor'] = (1.0, 1.0)
            results['keep_ratio'] = True
            return results
        return super().transform(results)
