"""Subject-disjoint k-fold splits for masked-FER datasets.

MSD-E is evaluated with 10-fold cross-validation in which no person appears
in both the training and the test set
(`paper <https://arxiv.org/abs/2304.03867>`_).
The authors' script tested fold ``k`` on subject IDs ``range(14k, 14k + 15)``,
so neighbouring folds shared a subject and the last subject was never tested.
Here the folds partition the subjects exactly:

- subjects are sorted in natural order (``'2' < '10'``; purely numeric IDs
  sort as numbers);
- fold ``k`` is the ``k``-th contiguous block of that order, the first
  ``n % num_folds`` blocks holding one subject more than the others (the
  authors' contiguous blocks, without the overlap).

Within the subjects outside the test fold, a fraction ``val_ratio`` can be
held out for validation (checkpoint selection), picked evenly spaced over the
natural order, so the test fold never chooses the checkpoint.
"""
import re
from typing import Iterable, List, Set, Tuple, Union

SPLITS = ('train', 'val', 'test', 'all')

_DIGITS = re.compile(r'(\d+)')


def natural_key(name: str) -> Tuple[Union[int, str], ...]:
    """Sort key that orders embedded numbers numerically (``s2 < s10``).

    Args:
        name (str): A subject ID.

    Returns:
        tuple: Text and integer chunks, then the name itself as a tie-break
        (so ``'01'`` and ``'1'`` keep a fixed order).
    """
    chunks = _DIGITS.split(name)
    key = tuple(int(c) if i % 2 else c for i, c in enumerate(chunks))
    return key + (name, )


def sorted_subjects(subjects: Iterable[str]) -> List[str]:
    """Return the distinct subject IDs in natural order.

    Args:
        subjects (Iterable[str]): Subject IDs, repeats allowed (e.g. one per
            image).

    Returns:
        list[str]: Each subject once, naturally sorted.
    """
    return sorted({str(s) for s in subjects}, key=natural_key)


def subject_folds(subjects: Iterable[str], num_folds: int) -> List[List[str]]:
    """Partition subjects into ``num_folds`` contiguous, balanced folds.

    Args:
        subjects (Iterable[str]): Subject IDs, repeats allowed.
        num_folds (int): Number of folds, ``2 <= num_folds <= #subjects``.

    Returns:
        list[list[str]]: ``num_folds`` folds; every subject is in exactly one
        fold and fold sizes differ by at most one.
    """
    ordered = sorted_subjects(subjects)
    _check_num_folds(num_folds, len(ordered))
    size, extra = divmod(len(ordered), num_folds)
    folds, start = [], 0
    for k in range(num_folds):
        stop = start + size + (1 if k < extra else 0)
        folds.append(ordered[start:stop])
        start = stop
    return folds


def split_subjects(subjects: Iterable[str],
                   fold: int,
                   num_folds: int,
                   split: str,
                   val_ratio: float = 0.0) -> Set[str]:
    """Subjects of one split of one fold.

    ``test`` is fold ``fold``; ``val`` is ``val_ratio`` of the remaining
    subjects (at least one when ``val_ratio > 0``), evenly spaced over their
    natural order; ``train`` is the rest; ``all`` is every subject.

    Args:
        subjects (Iterable[str]): Subject IDs, repeats allowed.
        fold (int): Index of the test fold, ``0 <= fold < num_folds``.
        num_folds (int): Number of folds.
        split (str): One of ``'train'``, ``'val'``, ``'test'``, ``'all'``.
        val_ratio (float): Fraction of the non-test subjects held out for
            validation, ``0 <= val_ratio < 1``. Defaults to 0.

    Returns:
        set[str]: The subjects of the requested split (never empty).
    """
    check_fold_args(fold, num_folds, split, val_ratio)
    folds = subject_folds(subjects, num_folds)
    if split == 'all':
        return {s for f in folds for s in f}
    if split == 'test':
        return set(folds[fold])
    rest = [s for k, f in enumerate(folds) if k != fold for s in f]
    val = set(_pick_val(rest, val_ratio))
    train = set(rest) - val
    if not train:
        raise ValueError(
            f'fold {fold}/{num_folds} leaves no training subjects: '
            f'val_ratio={val_ratio} holds out all {len(rest)} non-test '
            'subjects; lower val_ratio')
    return val if split == 'val' else train


def check_fold_args(fold: int, num_folds: int, split: str,
                    val_ratio: float) -> None:
    """Check fold arguments that do not depend on the data.

    Args:
        fold (int): Index of the test fold.
        num_folds (int): Number of folds.
        split (str): Requested split.
        val_ratio (float): Fraction of non-test subjects held out.

    Raises:
        ValueError: With a message naming the bad argument and its value.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    if not isinstance(num_folds, int) or num_folds < 2:
        raise ValueError(
            f'num_folds must be an integer >= 2, got {num_folds!r}')
    if not isinstance(fold, int) or not 0 <= fold < num_folds:
        raise ValueError(f'fold must be an integer in [0, {num_folds - 1}] '
                         f'for num_folds={num_folds}, got {fold!r}')
    if not 0 <= val_ratio < 1:
        raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio!r}')
    if split == 'val' and val_ratio == 0:
        raise ValueError("split='val' with val_ratio=0 selects nobody: "
                         'set val_ratio > 0 to hold out validation subjects')


def _check_num_folds(num_folds: int, num_subjects: int) -> None:
    """Raise if the subjects cannot fill ``num_folds`` folds."""
    if num_folds < 2:
        raise ValueError(f'num_folds must be >= 2, got {num_folds}')
    if num_folds > num_subjects:
        raise ValueError(f'num_folds={num_folds} is larger than the number of '
                         f'subjects ({num_subjects}); every fold needs at '
                         'least one subject')


def _pick_val(rest: List[str], val_ratio: float) -> List[str]:
    """Evenly spaced ``val_ratio`` of ``rest`` (at least one if ratio > 0)."""
    if val_ratio <= 0:
        return []
    count = max(1, int(val_ratio * len(rest) + 0.5))
    return [rest[int((i + 0.5) * len(rest) / count)] for i in range(count)]
