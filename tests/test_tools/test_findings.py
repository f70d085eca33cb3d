"""The findings tables as grid specs (``configs/grids/synthetic/``) and
``tools/findings.py``: every method's config exists and takes its options,
every row trains at the stated equal budget (optimiser steps and training
images), and the committed tables, results page and README are what the
committed records generate."""
import importlib.util
import shutil
import sys

import pytest
from e2e_helpers import REPO
from mmengine.config import Config
from mmengine.registry import DATA_SAMPLERS

from mmsde.apis.grid import resolved_config
from mmsde.utils.bundled import resolve_config

spec = importlib.util.spec_from_file_location('findings',
                                              REPO / 'tools' / 'findings.py')
findings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(findings)

pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated',
                                        'ignore:runs have different fold')
SPECS = {t.spec: findings.table_spec(t) for t in findings.TABLES}
TABLE = SPECS['overlay_table.py']
DOUBLED = SPECS['overlay_doubled.py']
# each (config, options) once: the bfloat16 tables repeat the float32 rows
METHODS = list({(m.config, repr(sorted(m.cfg_options.items()))): (name, m, s)
                for name, s in SPECS.items()
                for m in s.methods.values()}.values())
TWO_VIEW_MODELS = ('PairedClassifier', 'SupConClassifier')


def _get(cfg: Config, dotted: str):
    node = cfg
    for key in dotted.split('.'):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


@pytest.mark.parametrize('table, method, grid', METHODS,
                         ids=[f'{t}:{m.name}' for t, m, _ in METHODS])
def test_method_config_and_options_exist(table, method, grid):
    cfg = Config.fromfile(str(resolve_config(method.config)))
    for key, value in method.cfg_options.items():
        _get(cfg, key)  # KeyError: the option names no config key
        if key.endswith('.scale'):  # the input size: the Resize step's
            assert _get(cfg, key[:-len('.scale')]).type == 'Resize', key
        if key.endswith('sampler.type'):
            import mmsde  # noqa: F401  (registers the samplers)
            assert DATA_SAMPLERS.get(value) is not None, value
        elif isinstance(value, str) and value.startswith('face-pretrain://'):
            assert (REPO / value[len('face-pretrain://'):]).is_file(), value
        elif isinstance(value, str):  # per-fold teacher / stage-1 encoder
            assert value.startswith('{work_dir:'), value


def test_every_run_reads_its_benchmark():
    """Every table sets its benchmark's folder and masked view on every
    dataloader (the dataset checks the folder holds that view)."""
    roots = {'overlay': 'data/synthetic_msde',
             'second_photo': 'data/synthetic_msde_second-photo'}
    for table in findings.TABLES:
        grid = SPECS[table.spec]
        entry = grid.entries()[0]
        cfg = resolved_config(grid, entry)
        for split in ('train', 'val', 'test'):
            dataset = cfg[f'{split}_dataloader'].dataset
            assert (dataset.data_root, dataset.synthetic_view) == (
                roots[table.view], table.view), table.spec


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
    cfg = Config.fromfile(str(resolve_config(method.config)))
    cfg.merge_from_dict(method.cfg_options, allow_list_keys=True)
    return budget(cfg)


@pytest.mark.parametrize('table, factor', [
    ('overlay_table.py', 1), ('overlay_doubled.py', 2),
    ('overlay_doubled_bf16.py', 2), ('second-photo_doubled_bf16.py', 2)])
def test_methods_train_at_one_budget(table, factor):
    """One budget for every row of a table (SupCon's linear stage adds its
    own); the tables at twice the steps (the paper's 24 epochs for the
    two-view methods) take twice the steps on twice the images."""
    reference = (12 * 2 / 32, 24.0)
    for method in SPECS[table].methods.values():
        if not method.name.startswith('supcon-linear'):
            assert method_budget(method) == pytest.approx(
                tuple(factor * v for v in reference)), method.name


def test_doubled_table_is_the_table_at_twice_the_epochs():
    """Same configs and options, each method's epochs doubled (its cosine
    decay with them), named ``<method>, <epochs> epochs``; bfloat16 tables
    add ``, bf16``; the linear stage reads stage 1's last checkpoint."""
    rows = [m for m in TABLE.methods.values()][:len(DOUBLED.methods)]
    for single, double in zip(rows, DOUBLED.methods.values()):
        epochs = 2 * Config.fromfile(str(resolve_config(
            single.config))).train_cfg.max_epochs
        assert double.name == f'{single.name}, {epochs} epochs'
        assert double.config == single.config
        assert double.cfg_options['param_scheduler.T_max'] == epochs
        for key, value in single.cfg_options.items():
            if key not in ('model.teacher_ckpt',
                           'model.backbone.init_cfg.checkpoint'):
                assert double.cfg_options[key] == value
    for name in ('overlay_doubled_bf16.py', 'second-photo_doubled_bf16.py'):
        bf16 = SPECS[name]
        assert list(bf16.methods) == [f'{m}, bf16' for m in DOUBLED.methods]
        assert bf16.precision == 'bf16'
    linear = DOUBLED.methods['supcon-linear, 24 epochs']
    assert linear.cfg_options['model.backbone.init_cfg.checkpoint'] == \
        '{work_dir:supcon-pretrain, 24 epochs}/epoch_24.pth'
    assert linear.after == ('supcon-pretrain, 24 epochs', )


def test_doubled_pairs_compare_with_the_doubled_baselines():
    rows = [m for m, method in DOUBLED.methods.items() if method.report]
    pairs = findings.table_pairs(rows, DOUBLED.references)
    assert ('masked, 48 epochs', 'nonmasked, 48 epochs') in pairs
    assert ('masked, 48 epochs', 'both, 24 epochs') not in pairs
    assert ('featkd, 48 epochs', 'both, 24 epochs') in pairs
    assert ('nonmasked, 48 epochs', 'nonmasked') in pairs
    assert all(run in rows for run, _ in pairs)
    assert not any(run == ref for run, ref in pairs)
    assert 'supcon-pretrain, 24 epochs' not in {run for run, _ in pairs}


def test_distillers_learn_from_their_tables_baseline_after_it():
    """A distiller's teacher is the best checkpoint of its own table's
    non-masked run on the same fold, which runs first."""
    for grid in SPECS.values():
        for method in grid.methods.values():
            if 'model.teacher_ckpt' in method.cfg_options:
                teacher = method.after[0]
                assert teacher.startswith('nonmasked')
                assert method.cfg_options['model.teacher_ckpt'] == \
                    f'{{work_dir:{teacher}}}/best_*.pth'
                order = grid.order()
                assert order.index(teacher) < order.index(method.name)


def test_markers_of_the_two_benchmarks_are_apart():
    """second_photo's document blocks have markers of their own, so its
    tables never overwrite the overlay ones; one judged table each."""
    markers = {view: {m for t in findings.TABLES if t.view == view
                      and t.markers for m in t.markers}
               for view in ('overlay', 'second_photo')}
    assert 'doubled-bf16' in markers['overlay']
    assert all(m.startswith('second-photo-') for m in markers['second_photo'])
    assert not markers['overlay'] & markers['second_photo']
    assert sorted(t.view for t in findings.TABLES if t.judged) == [
        'overlay', 'second_photo']


def test_committed_tables_and_documents_regenerate(tmp_path, monkeypatch):
    """``tools/findings.py`` on the committed records rewrites the committed
    tables, results page and README byte for byte: the published numbers
    are what the records give."""
    for path in ('README.md', 'docs/en/results.md', 'docs/findings',
                 'configs/grids/synthetic'):
        copy = shutil.copytree if (REPO / path).is_dir() else shutil.copy
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        copy(REPO / path, tmp_path / path)
    for path in (tmp_path / 'docs/findings').rglob('table*'):
        path.unlink()  # written again from the records
    monkeypatch.setattr(findings, 'REPO_ROOT', str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, 'argv', [
        'findings.py', '--readme', 'docs/en/results.md',
        '--summary', 'README.md', 'docs/en/results.md'])
    findings.main()
    written = sorted((tmp_path / 'docs/findings').rglob('table*'))
    assert [p.relative_to(tmp_path) for p in written] == sorted(
        p.relative_to(REPO) for p in (REPO / 'docs/findings').rglob('table*'))
    for path in written + [tmp_path / 'README.md',
                           tmp_path / 'docs/en/results.md']:
        committed = REPO / path.relative_to(tmp_path)
        assert path.read_text() == committed.read_text(), committed
