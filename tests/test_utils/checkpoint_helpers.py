"""Objects pickled into test checkpoints: an attack and a harmless class.

A module of its own so that unpickling (in any process) finds the classes
by name, as it would find a class of a real project.
"""
from typing import Any, Tuple


class WritesMarker:
    """A pickled object whose loading writes a file: the attack.

    ``open`` pickles as ``io.open`` (``_io.open`` from Python 3.12).
    """

    def __init__(self, path: Any) -> None:
        self.path = str(path)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (open, (self.path, 'w'))


class Harmless:
    """A plain object, as old checkpoints pickled (a project's own class):
    loading it runs nothing, but the safe loader refuses every class that
    is not on its allow-list."""

    def __init__(self, value: int) -> None:
        self.value = value
