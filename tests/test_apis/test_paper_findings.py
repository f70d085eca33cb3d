"""The paper's findings judged on generated fold records, checked against
scipy's paired t-test computed here."""
import numpy as np
import pytest
from scipy import stats

from mmsde.apis.paper_findings import (FAILS, HOLDS, NOT_RUN, NOT_SHOWN,
                                       judge, masked_is_harder,
                                       masked_training_costs, paradigm_state,
                                       paradigms_help, summary_table)

FOLDS = 5


def records(non_masked, masked):
    """Fold records with the given accuracies (one value per fold)."""
    return [dict(fold=k, metrics={'non_masked/accuracy': float(n),
                                  'masked/accuracy': float(m)})
            for k, (n, m) in enumerate(zip(non_masked, masked))]


def noisy(level, seed, spread=1.0):
    return level + np.random.default_rng(seed).normal(0, spread, FOLDS)


@pytest.fixture
def runs():
    """`both` clearly worse on masked faces and on non-masked ones than
    `nonmasked`; `featkd` far above `both` on masked faces and level with
    `nonmasked`; `paired-mse` far below `both` on masked faces."""
    nonmasked_nm = noisy(90, 0)
    return dict(
        nonmasked=records(nonmasked_nm, noisy(25, 1)),
        both=records(nonmasked_nm - 5 + noisy(0, 2, 0.5), noisy(60, 3)),
        featkd=records(nonmasked_nm + noisy(0, 4, 0.5), noisy(75, 5)),
        **{'paired-mse': records(noisy(70, 6), noisy(30, 7))})


def test_finding_1_and_2_match_scipy(runs):
    both = runs['both']
    nm = [r['metrics']['non_masked/accuracy'] for r in both]
    m = [r['metrics']['masked/accuracy'] for r in both]
    verdict = masked_is_harder(runs)
    assert verdict.state == HOLDS
    p = stats.ttest_rel(m, nm).pvalue
    assert f'{np.mean(np.subtract(m, nm)):+.2f}' in verdict.evidence
    assert f'p={p:.3g}' in verdict.evidence
    ref = [r['metrics']['non_masked/accuracy'] for r in runs['nonmasked']]
    verdict = masked_training_costs(runs)
    assert verdict.state == HOLDS
    assert f'p={stats.ttest_rel(nm, ref).pvalue:.3g}' in verdict.evidence


def test_finding_2_against_and_not_shown(runs):
    ref = runs['nonmasked']
    better = [dict(r, metrics=dict(r['metrics'], **{
        'non_masked/accuracy': r['metrics']['non_masked/accuracy'] + 5 + d}))
        for r, d in zip(ref, noisy(0, 8, 0.5))]
    assert masked_training_costs(dict(runs, both=better)).state == FAILS
    level = [dict(r, metrics=dict(r['metrics'], **{
        'non_masked/accuracy': r['metrics']['non_masked/accuracy'] + d}))
        for r, d in zip(ref, noisy(0, 9, 3.0))]
    assert masked_training_costs(dict(runs, both=level)).state == NOT_SHOWN


def test_finding_3_needs_one_paradigm_to_pass(runs):
    verdict = paradigms_help(runs)
    assert verdict.state == HOLDS
    assert '2 paradigms: 1 pass, 1 fail, 0 undecided' in verdict.evidence
    assert '`featkd`' in verdict.evidence
    # without the passing paradigm every one left fails
    del runs['featkd']
    verdict = paradigms_help(runs)
    assert verdict.state == FAILS
    assert 'best on masked faces: `paired-mse`' in verdict.evidence


def test_paradigm_state_bonferroni():
    gain = dict(mean=3.0, p=0.02)
    kept = dict(mean=-1.0, p=0.5)
    assert paradigm_state(gain, kept, tried=1) == HOLDS
    # 0.02 is not below 0.05 / 7
    assert paradigm_state(gain, kept, tried=7) == NOT_SHOWN
    assert paradigm_state(gain, dict(mean=-4.0, p=0.01)) == FAILS
    assert paradigm_state(dict(mean=-3.0, p=0.01), kept) == FAILS


def test_missing_runs_and_table(runs):
    assert [v.state for v in judge({})] == [NOT_RUN] * 3
    table = summary_table({'`a`': runs, '`b`': {}})
    lines = table.splitlines()
    assert lines[0] == "| paper's finding | `a` | `b` |"
    assert len([line for line in lines if line.startswith('| 1.')]) == 1
    assert '**holds**' in lines[2] and '**not run**' in lines[2]
