"""The benchmark scripts run and print their tables (timings themselves are
recorded in docs/benchmarks.md, not asserted)."""
import re

import pytest
from e2e_helpers import run_tool

pytestmark = pytest.mark.slow


def test_distill_speed_prints_three_variants_with_ratios():
    proc = run_tool('python', 'tools/benchmark/distill_speed.py', '--steps',
                    '1', '--rounds', '1', '--batch-size', '4')
    rows = re.findall(r'^\| (student alone|distillation, online teacher|'
                      r'distillation, cached teacher)[^|]*\| ([\d.]+) \| '
                      r'([\d.]+) \| ([\d.]+) \|$', proc.stdout, re.M)
    assert [r[0] for r in rows] == [
        'student alone', 'distillation, online teacher',
        'distillation, cached teacher'
    ]
    assert rows[0][3] == '1.00'
    for _, seconds, img_s, ratio in rows:
        assert float(seconds) > 0 and float(img_s) > 0
        assert float(ratio) == pytest.approx(
            float(seconds) / float(rows[0][1]), abs=0.02)
