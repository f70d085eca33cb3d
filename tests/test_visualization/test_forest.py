"""Forest plots: the interval is Student's t over the folds, differences
are paired by fold, the picture and the tool are written."""
import json
import math

import numpy as np
import pytest
from e2e_helpers import REPO, run_tool

from mmsde.visualization.forest import (difference_interval, draw_forest,
                                        fold_differences)


def records(values, metric='masked/accuracy'):
    return [dict(fold=k, metrics={metric: v, 'non_masked/accuracy': 50.0})
            for k, v in values.items()]


def test_interval_and_paired_differences():
    mean, half = difference_interval([1.0, 2.0, 3.0, 6.0])
    # t(0.975, 3) = 3.182446; std = 2.160247; sqrt(4) = 2
    assert mean == 3.0
    assert half == pytest.approx(3.182446 * 2.160247 / 2, rel=1e-5)
    assert math.isnan(difference_interval([4.0])[1])
    run = records({0: 60.0, 1: 70.0, 3: 90.0})
    ref = records({0: 50.0, 1: 65.0, 2: 10.0, 3: 80.0})
    np.testing.assert_array_equal(
        fold_differences(run, ref, 'masked/accuracy'), [10.0, 5.0, 10.0])


def test_the_tool_draws_every_run_against_the_reference(tmp_path):
    for name, values in (('ref', {0: 50.0, 1: 60.0, 2: 55.0}),
                         ('better', {0: 58.0, 1: 66.0, 2: 64.0})):
        (tmp_path / name).mkdir()
        for record in records(values):
            (tmp_path / name / f'fold{record["fold"]}.json').write_text(
                json.dumps(record))
    out = tmp_path / 'forest.png'
    proc = run_tool('python', 'tools/visualization/vis_forest.py', 'ref',
                    tmp_path / 'ref', f'up={tmp_path / "better"}', '--out',
                    out)
    assert f'wrote {out}' in proc.stdout
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # the same folders as a grid's legacy records: the same picture
    (tmp_path / 'tiny.py').write_text(
        "_base_ = 'mmsde::baseline/"
        "resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py'\n")
    (tmp_path / 'spec.py').write_text('''grid = dict(
    name='t', folds=[0, 1, 2], num_folds=5, work_dir='work',
    record_dir='records', legacy_dir='.',
    methods=dict(ref=dict(config='tiny.py'), better=dict(config='tiny.py')))
''')
    tool = REPO / 'tools/visualization/vis_forest.py'
    run_tool('python', tool, 'ref', 'ref', 'better', '--out', 'folders.png',
             cwd=tmp_path)
    run_tool('python', tool, 'ref', 'ref', 'better', '--grid', 'spec.py',
             '--out', 'grid.png', cwd=tmp_path)
    assert (tmp_path / 'grid.png').read_bytes() == \
        (tmp_path / 'folders.png').read_bytes()
    with pytest.raises(ValueError, match='nothing to compare'):
        draw_forest({'ref': records({0: 1.0})}, 'ref',
                    ['masked/accuracy'], str(tmp_path / 'x.png'))
