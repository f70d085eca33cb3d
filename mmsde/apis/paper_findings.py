"""The MSD-E paper's three findings, judged on fold records.

The paper finds that (1) masked FER is harder than non-masked FER, (2)
training on masked images costs non-masked accuracy, and (3) the paired,
SupCon and distillation paradigms raise masked accuracy over the baselines
while keeping the non-masked baseline's non-masked accuracy. Each finding is
judged here by a fold-paired t-test (:func:`~mmsde.apis.kfold.
paired_comparison`) at ``ALPHA``; it holds where the difference is
significant in its direction, does not hold where significant against it,
and is not shown otherwise:

1. ``both`` (trained on both kinds of faces) is less accurate on its masked
   test faces than on its non-masked ones;
2. ``both`` is less accurate on non-masked faces than ``nonmasked``;
3. a paradigm is more accurate than ``both`` on masked faces and not
   significantly less accurate than ``nonmasked`` on non-masked faces
   (holds if one paradigm does, its masked gain tested at ``ALPHA``
   divided by the number of paradigms; does not hold if each paradigm is
   significantly worse on either).

``runs`` maps a method's base name (``nonmasked``, ``both``, ``featkd``...)
to its fold records (``{'fold': k, 'metrics': {...}}``).
"""
from typing import Dict, List, NamedTuple, Sequence

from .kfold import format_difference, paired_comparison

ALPHA = 0.05
NON_MASKED, MASKED = 'non_masked/accuracy', 'masked/accuracy'
PARADIGMS = ('paired-mse', 'supcon-joint', 'supcon-linear', 'featkd',
             'logitkd', 'featlogitkd', 'featkd-cached')
FINDINGS = (
    '1. masked FER is harder than non-masked',
    '2. training on masked images costs non-masked accuracy',
    '3. the paired, SupCon and distillation paradigms raise masked accuracy '
    'over both baselines and keep the non-masked baseline\'s non-masked '
    'accuracy')


HOLDS, FAILS, NOT_SHOWN, NOT_RUN = ('holds', 'does not hold', 'not shown',
                                   'not run')


class Verdict(NamedTuple):
    """A finding on one benchmark: ``state`` (``HOLDS``: significant in the
    finding's direction; ``FAILS``: significant against it; ``NOT_SHOWN``:
    neither; ``NOT_RUN``: runs missing) and the numbers behind it."""
    state: str
    evidence: str


def _direction(diff: dict, sign: int, alpha: float = ALPHA) -> str:
    """``HOLDS`` where ``diff`` has ``sign`` at ``alpha``, ``FAILS`` where
    it has the other sign, else ``NOT_SHOWN``."""
    if not diff['p'] < alpha:
        return NOT_SHOWN
    return HOLDS if diff['mean'] * sign > 0 else FAILS


def _as_metric(records: Sequence[dict], metric: str) -> List[dict]:
    """Records holding one metric under the name ``accuracy``."""
    return [dict(fold=r['fold'], metrics={'accuracy': r['metrics'][metric]})
            for r in records]


def masked_is_harder(runs: Dict[str, list]) -> Verdict:
    """Finding 1: ``both``'s masked minus its non-masked accuracy."""
    if 'both' not in runs:
        return Verdict(NOT_RUN, 'no `both` runs')
    diff = paired_comparison(_as_metric(runs['both'], MASKED),
                             _as_metric(runs['both'], NON_MASKED),
                             ['accuracy'])['accuracy']
    return Verdict(_direction(diff, -1), '`both`, masked minus non-masked '
                   f'faces: {format_difference(diff)}, {diff["n"]} folds')


def masked_training_costs(runs: Dict[str, list]) -> Verdict:
    """Finding 2: ``both`` against ``nonmasked`` on non-masked faces."""
    if not {'both', 'nonmasked'} <= set(runs):
        return Verdict(NOT_RUN, 'no `both` or `nonmasked` runs')
    diff = paired_comparison(runs['both'], runs['nonmasked'],
                             [NON_MASKED])[NON_MASKED]
    return Verdict(_direction(diff, -1), '`both` - `nonmasked`, non-masked '
                   f'faces: {format_difference(diff)}, {diff["n"]} folds')


def paradigm_state(masked: dict, kept: dict, tried: int = 1) -> str:
    """A paradigm ``HOLDS`` with more masked accuracy than ``both`` (at
    ``ALPHA / tried``: Bonferroni over the ``tried`` paradigms) and no
    significant loss of non-masked accuracy against ``nonmasked``; it
    ``FAILS`` with significantly less of either."""
    gain = _direction(masked, 1, ALPHA / tried)
    loss = _direction(kept, -1)
    if FAILS == gain or HOLDS == loss:
        return FAILS
    return HOLDS if gain == HOLDS else NOT_SHOWN


def paradigms_help(runs: Dict[str, list]) -> Verdict:
    """Finding 3: it holds where a paradigm passes, fails where every
    paradigm fails (:func:`paradigm_state`); the evidence names those that
    pass, else the one with the largest masked gain over ``both``."""
    paradigms = [p for p in PARADIGMS if p in runs]
    if not paradigms or not {'both', 'nonmasked'} <= set(runs):
        return Verdict(NOT_RUN, 'no paradigm, `both` or `nonmasked` runs')
    rows = []
    for name in paradigms:
        masked = paired_comparison(runs[name], runs['both'],
                                   [MASKED])[MASKED]
        kept = paired_comparison(runs[name], runs['nonmasked'],
                                 [NON_MASKED])[NON_MASKED]
        rows.append((name, masked, kept,
                     paradigm_state(masked, kept, len(paradigms))))
    states = [r[3] for r in rows]
    state = HOLDS if HOLDS in states else (
        FAILS if set(states) == {FAILS} else NOT_SHOWN)
    shown = [r for r in rows if r[3] == HOLDS] or [
        max(rows, key=lambda r: r[1]['mean'])]
    evidence = '; '.join(
        f'`{name}`: masked {format_difference(masked)} over `both`, '
        f'non-masked {format_difference(kept)} against `nonmasked` '
        f'({masked["n"]} folds)' for name, masked, kept, _ in shown)
    counts = ', '.join(f'{states.count(s)} {word}' for s, word in (
        (HOLDS, 'pass'), (FAILS, 'fail'), (NOT_SHOWN, 'undecided')))
    best = 'passing' if HOLDS in states else 'best on masked faces'
    return Verdict(state, f'{len(rows)} paradigms: {counts}; {best}: '
                   f'{evidence}')


def judge(runs: Dict[str, list]) -> List[Verdict]:
    """The three findings on one benchmark's runs, in order."""
    return [masked_is_harder(runs), masked_training_costs(runs),
            paradigms_help(runs)]


def verdict_word(verdict: Verdict) -> str:
    return f'**{verdict.state}**'


def summary_table(benchmarks: Dict[str, Dict[str, list]]) -> str:
    """Markdown: a row per finding, a column per benchmark (its verdict
    and evidence)."""
    names = list(benchmarks)
    judged = {name: judge(runs) for name, runs in benchmarks.items()}
    lines = ['| paper\'s finding | ' + ' | '.join(names) + ' |',
             '| --- |' + ' --- |' * len(names)]
    for i, finding in enumerate(FINDINGS):
        cells = [f'{verdict_word(judged[n][i])}: {judged[n][i].evidence}'
                 for n in names]
        lines.append(f'| {finding} | ' + ' | '.join(cells) + ' |')
    lines += ['', f'*{HOLDS}*: significant in the finding\'s direction '
              f'(fold-paired t-test, p < {ALPHA}; a paradigm\'s masked gain '
              f'at {ALPHA} divided by the number of paradigms); '
              f'*{FAILS}*: significant against it; *{NOT_SHOWN}*: '
              'neither.']
    return '\n'.join(lines) + '\n'
