"""tools/findings.py: every method's config exists, takes its options, and
trains at the stated equal budget (optimiser steps and training images)."""
import importlib.util
import json

import pytest
from e2e_helpers import REPO
from mmengine.config import Config
from mmengine.registry import DATA_SAMPLERS
from scipy import stats

spec = importlib.util.spec_from_file_location('findings',
                                              REPO / 'tools' / 'findings.py')
findings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(findings)

DOUBLED = findings.methods('W', factor=2)
ALL = findings.methods('W') + DOUBLED + findings.ablations('W') + \
    findings.recipe_candidates()
TWO_VIEW_MODELS = ('PairedClassifier', 'SupConClassifier')


def _get(cfg: Config, dotted: str):
    node = cfg
    for key in dotted.split('.'):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


@pytest.mark.parametrize('method', ALL, ids=lambda m: m.name)
def test_method_config_and_options_exist(method):
    cfg = Config.fromfile(str(REPO / method.config))
    for key, value in (method.options or {}).items():
        _get(cfg, key)  # KeyError: the option names no config key
        if key.endswith('.scale'):  # the input size: the Resize step's
            assert _get(cfg, key[:-len('.scale')]).type == 'Resize', key
        if key.endswith('sampler.type'):
            import mmsde  # noqa: F401  (registers the samplers)
            assert DATA_SAMPLERS.get(value) is not None, value
        elif isinstance(value, str) and value.startswith('face-pretrain://'):
            assert (REPO / value[len('face-pretrain://'):]).is_file(), value
        elif isinstance(value, str):
            assert '{fold}' in value  # per-fold teacher / stage-1 encoder


def budget(cfg: Config) -> tuple:
    """(optimiser steps, training images) per non-masked training image:
    ``samples / batch * epochs`` with ``samples`` = N images for one view,
    2N for both, N pairs for paired samples; a paired sample gives two
    images to two-view models and one (the student's) to distillers."""
    dataset = cfg.train_dataloader.dataset
    samples = 2 if dataset.views == 'both' else 1
    per_sample = 1
    if dataset.views == 'paired' and cfg.model.type in TWO_VIEW_MODELS:
        per_sample = 2
    steps = samples / cfg.train_dataloader.batch_size * \
        cfg.train_cfg.max_epochs
    return steps, steps * cfg.train_dataloader.batch_size * per_sample


def method_budget(method) -> tuple:
    """:func:`budget` of a method's config with its options applied."""
    cfg = Config.fromfile(str(REPO / method.config))
    cfg.merge_from_dict(method.options or {}, allow_list_keys=True)
    return budget(cfg)


def test_methods_train_at_one_budget():
    """One budget for every method; the doubled table (``--doubled``: the
    paper's 24 epochs for the two-view methods, rows named ``, <E>
    epochs``) takes twice the steps on twice the images."""
    budgets = {m.name: method_budget(m) for m in ALL
               if not m.name.startswith('supcon-linear')}
    reference = budgets['both']
    assert reference == (12 * 2 / 32, 24.0)
    doubled = {m.name for m in DOUBLED}
    assert [n for n in budgets if n.endswith(' epochs')] == [
        m.name for m in DOUBLED if not m.name.startswith('supcon-linear')]
    for name, value in budgets.items():
        factor = 2 if name in doubled else 1
        assert value == pytest.approx(tuple(factor * v for v in reference)), \
            name


def test_doubled_table_is_the_table_at_twice_the_epochs():
    """Same configs and options, each method's epochs doubled (its cosine
    decay with them); the linear stage reads stage 1's last checkpoint."""
    for single, double in zip(findings.methods('W'), DOUBLED):
        epochs = 2 * findings.max_epochs(single)
        assert double.name == f'{single.name}, {epochs} epochs'
        assert double.config == single.config
        assert double.options['param_scheduler.T_max'] == epochs
        for key, value in (single.options or {}).items():
            if key not in ('model.teacher_ckpt',
                           'model.backbone.init_cfg.checkpoint'):
                assert double.options[key] == value
    linear = next(m for m in DOUBLED if m.name.startswith('supcon-linear'))
    assert linear.options['model.backbone.init_cfg.checkpoint'] == \
        'W/supcon-pretrain_24-epochs/fold{fold}/epoch_24.pth'


def test_doubled_pairs_compare_with_the_doubled_baselines():
    pairs = findings.table_pairs(DOUBLED, findings.DOUBLED_REFERENCES)
    names = {m.name for m in DOUBLED}
    assert ('masked, 48 epochs', 'nonmasked, 48 epochs') in pairs
    assert ('masked, 48 epochs', 'both, 24 epochs') not in pairs
    assert ('featkd, 48 epochs', 'both, 24 epochs') in pairs
    assert ('nonmasked, 48 epochs', 'nonmasked') in pairs
    assert all(run in names for run, _ in pairs)
    assert not any(run == ref for run, ref in pairs)
    assert 'supcon-pretrain, 24 epochs' not in {run for run, _ in pairs}


def test_doubled_budget_distiller_learns_from_the_doubled_baseline():
    """``featkd, 48 epochs``'s teacher is the best checkpoint of the
    ``nonmasked, 48 epochs`` run of the same fold."""
    by_name = {m.name: m for m in ALL}
    teacher = by_name['featkd, 48 epochs'].options['model.teacher_ckpt']
    baseline = findings.dir_name(by_name['nonmasked, 48 epochs'])
    assert teacher == f'W/{baseline}/fold{{fold}}/best_*.pth'


def test_face_pretraining_runs_for_every_start_a_method_names():
    configs = findings.face_pretrain_configs(ALL)
    assert configs == [findings.FACE_PRETRAIN, findings.SCENES_PRETRAIN]
    assert findings.face_pretrain_configs(findings.methods('W')) == [
        findings.FACE_PRETRAIN]


def test_run_order_puts_teachers_and_stage1_first():
    names = [m.name for m in findings.methods('W')]
    assert names.index('nonmasked') < names.index('featkd')
    assert names.index('supcon-pretrain') < names.index('supcon-linear')
    stage1 = Config.fromfile(str(REPO / findings.PAIRED.format(
        'supcon-pretrain')))
    linear = next(m for m in ALL if m.name == 'supcon-linear')
    epoch = stage1.train_cfg.max_epochs
    assert linear.options['model.backbone.init_cfg.checkpoint'].endswith(
        f'epoch_{epoch}.pth')


def test_fold_results_are_committed_and_restored(tmp_path):
    """A finished fold is copied to the record dir; a fresh work dir gets it
    back, so the fold is not run again in a later session."""
    method = ALL[0]
    work, record = tmp_path / 'work', tmp_path / 'record'
    result = work / findings.dir_name(method) / 'fold2' / 'test_metrics.json'
    result.parent.mkdir(parents=True)
    result.write_text('{"fold": 2, "metrics": {}}')
    findings.keep_record(str(work), str(record), method, 2)
    kept = record / findings.dir_name(method) / 'fold2.json'
    assert kept.read_text() == result.read_text()
    result.unlink()
    findings.keep_record(str(work), str(record), method, 2)
    assert result.read_text() == kept.read_text()


def test_table_lists_every_recorded_method_not_only_the_selected(
        tmp_path, monkeypatch):
    """``--methods X --summarize-only`` keeps the other methods' rows."""
    record = tmp_path / 'record'
    for name in ('nonmasked', 'both'):
        for fold in (0, 1):
            src = REPO / 'docs' / 'findings' / 'folds' / name / \
                f'fold{fold}.json'
            (record / name).mkdir(parents=True, exist_ok=True)
            (record / name / f'fold{fold}.json').write_text(src.read_text())
    out = tmp_path / 'table'
    monkeypatch.setattr('sys.argv', [
        'findings.py', '--summarize-only', '--methods', 'nonmasked',
        '--work-dir', str(tmp_path / 'work'), '--record-dir', str(record),
        '--out', str(out)])
    findings.main()
    rows = [line.split(' | ')[0] for line in
            (tmp_path / 'table.md').read_text().splitlines()]
    assert rows.count('| nonmasked') == 2 and rows.count('| both') == 2
    assert not (tmp_path / 'table_doubled.md').exists()  # no results yet


def test_doubled_rows_get_their_own_table(tmp_path, monkeypatch):
    """Rows of the doubled table go to OUT_doubled.md, compared with the
    doubled baselines; the table keeps its own rows."""
    record = tmp_path / 'record'
    for name in ('nonmasked', 'nonmasked_48-epochs', 'both_24-epochs'):
        for fold in (0, 1):
            src = REPO / 'docs' / 'findings' / 'folds' / name / \
                f'fold{fold}.json'
            (record / name).mkdir(parents=True, exist_ok=True)
            (record / name / f'fold{fold}.json').write_text(src.read_text())
    monkeypatch.setattr('sys.argv', [
        'findings.py', '--summarize-only', '--work-dir',
        str(tmp_path / 'work'), '--record-dir', str(record),
        '--out', str(tmp_path / 'table')])
    findings.main()
    table = (tmp_path / 'table.md').read_text()
    doubled = (tmp_path / 'table_doubled.md').read_text()
    assert '| nonmasked |' in table and 'epochs' not in table
    assert '| nonmasked, 48 epochs |' in doubled
    assert '| both, 24 epochs |' in doubled and '| nonmasked |' not in doubled
    paired = (tmp_path / 'table_doubled_paired.md').read_text()
    assert 'against `nonmasked, 48 epochs`' in paired


@pytest.mark.parametrize('view, paths', [
    ('overlay', ('work_dirs/findings', 'docs/findings/table',
                 'docs/findings/folds')),
    ('second_photo', ('work_dirs/findings_second-photo',
                      'docs/findings/second_photo/table',
                      'docs/findings/second_photo/folds')),
])
def test_each_masked_view_has_its_own_paths(view, paths, monkeypatch):
    """overlay keeps the paths of the committed (overlay) results; every
    run reads the benchmark of its masked view, checked by the dataset."""
    monkeypatch.setattr('sys.argv', ['findings.py', '--masked-view', view])
    args = findings.parse_args()
    assert (args.work_dir, args.out, args.record_dir) == paths
    options = findings.data_options(view)
    root = findings.BENCHMARKS[view].data_root
    cfg = Config.fromfile(str(REPO / findings.BASELINE.format(
        '24e', 'nonmasked')))
    cfg.merge_from_dict(options)
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        assert (dataset.data_root, dataset.synthetic_view) == (root, view)
    assert root == {'overlay': 'data/synthetic_msde', 'second_photo':
                    'data/synthetic_msde_second-photo'}[view]


def test_default_is_second_photo_with_its_own_markers(monkeypatch):
    """second_photo is the default; its document blocks have markers of
    their own, so its tables never overwrite the overlay ones."""
    monkeypatch.setattr('sys.argv', ['findings.py'])
    assert findings.parse_args().masked_view == 'second_photo'
    markers = {view: {m for pair in findings.tables(
        bench.work_dir, bench.out, [], [], bench.marker_prefix).values()
        for table in pair for m in table.markers}
        for view, bench in findings.BENCHMARKS.items()}
    assert 'doubled-bf16' in markers['overlay']
    assert all(m.startswith('second-photo-') for m in markers['second_photo'])
    assert not markers['overlay'] & markers['second_photo']


def test_summary_judges_the_committed_records():
    """The README's findings summary: a column per benchmark, and the
    overlay's finding 2 is `both` against `nonmasked` at twice the steps,
    recomputed here from the committed records."""
    table = findings.findings_summary()
    head = table.splitlines()[0]
    assert '`overlay` (float32' in head and '`second_photo` (bfloat16' in head

    def accuracies(row):
        return {r['fold']: r['metrics']['non_masked/accuracy'] for r in (
            json.loads(p.read_text()) for p in (
                REPO / 'docs/findings/folds' / row).glob('fold*.json'))}

    both = accuracies('both_24-epochs')
    nonmasked = accuracies('nonmasked_48-epochs')
    folds = sorted(set(both) & set(nonmasked))
    diff = [both[k] - nonmasked[k] for k in folds]
    p = stats.ttest_rel([both[k] for k in folds],
                        [nonmasked[k] for k in folds]).pvalue
    row = next(line for line in table.splitlines() if line.startswith('| 2.'))
    overlay_cell = row.split(' | ')[1]
    assert f'{sum(diff) / len(diff):+.2f}' in overlay_cell
    assert f'p={p:.3g}), {len(folds)} folds' in overlay_cell


def test_total_time_counts_runs_that_are_not_rows(tmp_path):
    """SupCon's stage 1 is not a row but is part of the table's time."""
    stage1 = findings.Method('stage1', 'c.py', in_table=False)
    row = findings.Method('row', 'c.py')
    for method, seconds in ((stage1, 1800.), (row, 5400.)):
        result = tmp_path / method.name / 'fold0' / 'test_metrics.json'
        result.parent.mkdir(parents=True)
        result.write_text(json.dumps({
            'fold': 0, 'seconds': seconds,
            'metrics': {'non_masked/accuracy': 50., 'masked/accuracy': 40.,
                        'overall/accuracy': 45.}}))
    out = tmp_path / 'table'
    findings.write_summary(
        [findings.Table([stage1, row], str(out), (), ('table', 'paired'),
                        [])], str(tmp_path))
    text = out.with_suffix('.md').read_text()
    assert '| row |' in text and '| stage1 |' not in text
    assert 'took 2.00 h in total' in text


def _records(accuracies):
    return [{'fold': fold, 'metrics': {'non_masked/accuracy': nm,
                                       'masked/accuracy': m}}
            for fold, (nm, m) in enumerate(accuracies)]


def test_readme_paired_rows_against_independent_computation():
    """Made-up folds: each listed pair with results gives one row of mean ±
    std and the paired t-test's p; pairs without results are left out."""
    from scipy.stats import ttest_rel
    runs = {'nonmasked': _records([(80, 20), (70, 30), (75, 25)]),
            'featkd': _records([(78, 41), (69, 52), (74, 44)])}
    rows = findings.paired_rows(runs).splitlines()
    assert len(rows) == 3  # header, rule, featkd - nonmasked only
    nm_p = ttest_rel([78, 69, 74], [80, 70, 75]).pvalue
    m_p = ttest_rel([41, 52, 44], [20, 30, 25]).pvalue
    assert rows[2] == (f'| `featkd` | `nonmasked` | 3 | -1.33 ± 0.58 '
                       f'(p={nm_p:.3g}) | +20.67 ± 1.53 (p={m_p:.3g}) |')


def test_readme_blocks_are_rewritten_between_their_markers(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text('intro\n<!-- findings:table -->\nold table\n'
                      '<!-- /findings:table -->\nmiddle\n'
                      '<!-- findings:paired -->\n<!-- /findings:paired -->'
                      '\nend\n')
    findings.write_readme(str(readme), dict(table='| new |\n',
                                            paired='| diff |'))
    assert readme.read_text() == (
        'intro\n<!-- findings:table -->\n\n| new |\n\n'
        '<!-- /findings:table -->\nmiddle\n<!-- findings:paired -->\n\n'
        '| diff |\n\n<!-- /findings:paired -->\nend\n')


def test_readme_without_both_markers_is_left_untouched(tmp_path):
    readme = tmp_path / 'README.md'
    text = '<!-- findings:table -->\nold\n<!-- /findings:table -->\n'
    readme.write_text(text)
    with pytest.raises(ValueError, match=r'README\.md: needs one '
                       r'<!-- findings:paired -->'):
        findings.write_readme(str(readme), dict(table='new', paired='x'))
    assert readme.read_text() == text


def test_the_results_page_and_readme_have_the_findings_markers():
    """The report's tables, both benchmarks', live in the results page
    (``--readme docs/en/results.md``); it and the README hold the summary
    block (``--summary``)."""
    text = (REPO / 'docs/en/results.md').read_text()
    for marker in ('table', 'paired', 'doubled', 'doubled-paired',
                   'doubled-bf16', 'doubled-paired-bf16', 'summary',
                   'second-photo-doubled-bf16',
                   'second-photo-doubled-paired-bf16'):
        findings.splice(text, marker, 'x', 'results.md')  # ValueError if not
    findings.splice((REPO / 'README.md').read_text(), 'summary', 'x',
                    'README.md')


def test_every_row_states_its_precision():
    """bf16 rows train with --amp; every other row, ablations and recipe
    candidates too, switches the synthetic schedule's bf16 default off."""
    for method in ALL:
        if method.name.endswith(', bf16'):
            assert method.amp, method.name
        else:
            assert not method.amp, method.name
            assert method.options[findings.FP32_OPTION] is False, method.name


def test_seeded_method_fixes_the_seed_and_keeps_its_options():
    method = next(m for m in ALL if m.name == 'paired-mse, alpha=0')
    seeded = findings.seeded(method, 3)
    assert seeded.name == 'paired-mse, alpha=0, seed 3'
    assert seeded.options == {'model.paired_loss.loss_weight': 0.0,
                              findings.FP32_OPTION: False,
                              'randomness.seed': 3}
    assert not seeded.in_table and findings.dir_name(seeded) == \
        'paired-mse_alpha0_seed-3'


def test_seed_summary_pairs_by_fold_and_seed(tmp_path):
    """Made-up seeded folds: a method against `both` pools the seeds and
    pairs each (fold, seed) with `both`'s; a method against itself with
    another seed pairs by fold. Checked against scipy on the same pairs."""
    import json

    from scipy.stats import ttest_rel
    both, weight0, twins = (m for m in ALL if m.name in (
        'both', 'supcon-joint, lambda=0', 'both, twin batches'))
    accuracies = {  # (method, seed): non-masked accuracy of folds 0-2
        ('both', 1): [70, 75, 80], ('both', 2): [72, 71, 83],
        ('supcon-joint, lambda=0', 1): [60, 74, 79],
        ('supcon-joint, lambda=0', 2): [69, 70, 75],
        ('both, twin batches', 1): [61, 72, 80],
        ('both, twin batches', 2): [65, 70, 77]}
    for method in (both, weight0, twins):
        for seed in (1, 2):
            for fold, acc in enumerate(accuracies[method.name, seed]):
                path = tmp_path / findings.dir_name(
                    findings.seeded(method, seed)) / f'fold{fold}'
                path.mkdir(parents=True)
                (path / 'test_metrics.json').write_text(json.dumps(dict(
                    fold=fold, metrics={'non_masked/accuracy': acc,
                                        'masked/accuracy': 30.0,
                                        'overall/accuracy': 50.0})))
    out = tmp_path / 'table'
    findings.write_seed_summary([both, weight0, twins], [1, 2],
                                str(tmp_path), str(out))
    rows = {tuple(line.split(' | ')[:2]): line.split(' | ')[2:4]
            for line in (tmp_path / 'table_seeds.md').read_text().splitlines()
            if line.startswith('| `')}
    run = accuracies['supcon-joint, lambda=0', 1] + \
        accuracies['supcon-joint, lambda=0', 2]
    ref = accuracies['both', 1] + accuracies['both', 2]
    p = ttest_rel(run, ref).pvalue
    assert rows['| `supcon-joint, lambda=0, seeded`', '`both, seeded`'] == [
        '6', f'-4.00 ± 4.00 (p={p:.3g})']
    p = ttest_rel(accuracies['both', 2], accuracies['both', 1]).pvalue
    assert rows['| `both, seed 2`', '`both, seed 1`'] == [
        '3', f'+0.33 ± 3.79 (p={p:.3g})']
    # both references: `both` is the reference of `both, twin batches`,
    # never the other way round, and no run is its own reference
    assert set(rows) == {
        ('| `both, seed 2`', '`both, seed 1`'),
        ('| `supcon-joint, lambda=0, seeded`', '`both, seeded`'),
        ('| `supcon-joint, lambda=0, seeded`', '`both, twin batches, seeded`'),
        ('| `supcon-joint, lambda=0, seed 2`',
         '`supcon-joint, lambda=0, seed 1`'),
        ('| `both, twin batches, seeded`', '`both, seeded`'),
        ('| `both, twin batches, seed 2`', '`both, twin batches, seed 1`')}


def test_bf16_rows_train_with_amp_and_learn_from_bf16_runs():
    """``--precision bf16``: every row is ``<method>, bf16`` trained with
    ``--amp``; distillers learn from the bf16 baseline of their budget and
    the linear stage from the bf16 stage 1."""
    rows = findings.methods('W', factor=2, precision='bf16')
    assert all(m.name.endswith(', bf16') and m.amp for m in rows)
    by_name = {m.name: m for m in rows}
    teacher = by_name['featkd, 48 epochs, bf16'].options['model.teacher_ckpt']
    assert teacher == 'W/nonmasked_48-epochs_bf16/fold{fold}/best_*.pth'
    linear = by_name['supcon-linear, 24 epochs, bf16']
    assert linear.options['model.backbone.init_cfg.checkpoint'] == \
        'W/supcon-pretrain_24-epochs_bf16/fold{fold}/epoch_24.pth'
    assert not any(m.amp for m in findings.methods('W', factor=2))


def test_bf16_table_compares_each_row_with_its_fp32_row():
    rows = findings.methods('W', factor=2, precision='bf16')
    refs = findings.named(findings.DOUBLED_REFERENCES, 'bf16')
    pairs = findings.table_pairs(rows, refs)
    assert ('both, 24 epochs, bf16', 'both, 24 epochs') in pairs
    assert ('both, 24 epochs, bf16', 'nonmasked, 48 epochs, bf16') in pairs
    assert ('featkd, 48 epochs, bf16', 'both, 24 epochs, bf16') in pairs
