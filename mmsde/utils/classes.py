"""Expression classes shared by every masked-FER dataset in mmsde, by the
synthetic faces (:mod:`mmsde.synthetic`) and by the models' predictions.

The order is RAF-DB's, which MSD-E also uses: the index of a name in
:data:`FER_CLASSES` is its integer label (``0`` Surprise ... ``6`` Neutral).
"""

FER_CLASSES = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger',
               'Neutral')

__all__ = ['FER_CLASSES']
