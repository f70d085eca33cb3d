"""tools/demo.py: the data it trains on, without training (the demo itself
runs in the README's ``make demo``)."""
import importlib.util
import os

import pytest
from e2e_helpers import REPO

spec = importlib.util.spec_from_file_location('demo',
                                              REPO / 'tools' / 'demo.py')
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)

MSDE_CONFIG = 'configs/baseline/resnet18_1xb96-adam-24e_msde-nonmasked.py'


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def test_synthetic_configs_name_their_folder_and_view():
    assert demo.benchmark_data(demo.BASELINE) == (
        'data/synthetic_msde_second-photo', 'second_photo')
    options = demo.data_options(demo.PARADIGM, 'ROOT', 'second_photo')
    assert options['val_dataloader.dataset.data_root'] == 'ROOT'
    assert options['test_dataloader.dataset.synthetic_view'] == \
        'second_photo'


def test_real_msde_is_not_checked():
    """--msde-root: a synthetic config's check is switched off, an MSD-E
    config gets no synthetic_view at all."""
    options = demo.data_options(demo.BASELINE, 'data/msde', None)
    assert options['train_dataloader.dataset.synthetic_view'] is None
    assert not any('synthetic_view' in key for key in
                   demo.data_options(MSDE_CONFIG, 'data/msde', None))
    with pytest.raises(SystemExit, match='no synthetic-benchmark config'):
        demo.benchmark_data(MSDE_CONFIG)


def test_generates_the_configs_folder_with_its_view(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(demo, 'ensure_synthetic_msde',
                        lambda root, view: made.append((root, view)))
    args = demo.argparse.Namespace(msde_root=None, config=demo.BASELINE)
    assert demo.prepare_data(args) == ('data/synthetic_msde_second-photo',
                                       'second_photo')
    assert made == [('data/synthetic_msde_second-photo', 'second_photo')]
    args.msde_root = os.fspath(tmp_path)
    assert demo.prepare_data(args) == (os.fspath(tmp_path), None)
    assert len(made) == 1
