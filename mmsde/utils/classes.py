"""Expression classes shared by every masked-FER dataset in mmsde, by the
synthetic faces (:mod:`mmsde.synthetic`) and by the models' predictions.

The order is RAF-DB's, which MSD-E also uses: the index of a name in
:data:`FER_CLASSES` is its integer label (``0`` Surprise ... ``6`` Neutral).
"""

FER_CLASSES = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger',
               'Neutral')
#: The 8-class setting of AffectNet, FERPlus and CK+: Contempt as label 7.
FER_CLASSES_8 = FER_CLASSES + ('Contempt', )


def fer_classes(num_classes: int) -> tuple:
    """:data:`FER_CLASSES` (7) or :data:`FER_CLASSES_8` (8)."""
    if num_classes not in (7, 8):
        raise ValueError(f'num_classes must be 7 or 8 (with Contempt), got '
                         f'{num_classes!r}')
    return FER_CLASSES if num_classes == 7 else FER_CLASSES_8


__all__ = ['FER_CLASSES', 'FER_CLASSES_8', 'fer_classes']
