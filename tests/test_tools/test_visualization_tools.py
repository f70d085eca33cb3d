"""End to end: the picture tools on a tiny trained model, and the model they
load predicting exactly what tools/test.py predicts."""
import pickle
import re

import numpy as np
import pytest
import torch
from e2e_helpers import run_tool, write_tiny_config
from PIL import Image

from mmsde.apis.model import build_split_loader, load_classifier, preprocess

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def trained(tiny_msde, module_tmp_path):
    """A tiny config trained for 2 epochs, and its test predictions."""
    tmp = module_tmp_path
    config = write_tiny_config(tmp / 'tiny.py', tiny_msde)
    work_dir = tmp / 'run'
    run_tool('python', 'tools/train.py', config, '--work-dir', work_dir)
    preds = tmp / 'preds.pkl'
    run_tool('python', 'tools/test.py', config, work_dir / 'epoch_2.pth',
             '--work-dir', tmp / 'test', '--out', preds)
    return config, work_dir, preds, tmp


def png_size(path):
    with Image.open(path) as img:
        assert np.asarray(img.convert('L')).std() > 10, f'{path} is blank'
        return img.size


def test_loaded_model_predicts_what_the_test_tool_predicts(trained):
    config, work_dir, preds, _ = trained
    model, cfg = load_classifier(str(config), str(work_dir / 'epoch_2.pth'))
    ours = []
    for batch in build_split_loader(cfg):
        inputs, samples = preprocess(model, batch)
        with torch.no_grad():
            ours += model(inputs, mode='tensor').softmax(1).tolist()
    with open(preds, 'rb') as f:
        dumped = [p['pred_score'].tolist() for p in pickle.load(f)]
    np.testing.assert_allclose(ours, dumped, atol=1e-5)


def test_tsne_tool_writes_picture_embedding_and_figures(trained):
    config, work_dir, _, tmp = trained
    proc = run_tool('python', 'tools/visualization/vis_tsne.py', config,
                    work_dir / 'epoch_2.pth', '--out-dir', tmp / 'tsne')
    pngs = list((tmp / 'tsne').glob('*_test_pre_logits_tsne.png'))
    assert len(pngs) == 1 and png_size(pngs[0]) == (1800, 624)
    data = np.load(pngs[0].with_suffix('.npz'))
    assert data['embedding'].shape == (28, 2)  # 2 subjects x 7 x 2 views
    assert data['masked'].sum() == 14
    assert re.search(r'non_masked\s+-?\d\.\d{3}\s+\d+\.\d', proc.stdout)


def test_cam_tool_compares_two_models_on_pairs(trained):
    config, work_dir, _, tmp = trained
    out = tmp / 'cam.png'
    run_tool('python', 'tools/visualization/vis_cam.py', config,
             work_dir / 'epoch_2.pth', '--model', config,
             work_dir / 'epoch_1.pth', '--names', 'e2', 'e1',
             '--num-pairs', '3', '--out', out)
    width, height = png_size(out)
    assert width > height  # 3 rows of 6 columns


def test_confusion_and_curve_tools(trained):
    _, work_dir, preds, tmp = trained
    proc = run_tool('python', 'tools/visualization/vis_confusion.py', preds)
    assert png_size(tmp / 'preds_confusion.png')[0] > 1000
    assert re.search(r'masked\s+14 images', proc.stdout)
    run_tool('python', 'tools/visualization/vis_curves.py', work_dir,
             '--out-dir', tmp / 'curves')
    assert png_size(tmp / 'curves' / 'run_curves.png')[0] > 1000


def test_run_pictures_draw_everything_the_demo_prints(trained):
    from mmsde.visualization import TrainedRun, draw_run_pictures
    from mmsde.visualization.confusion import (confusion_matrices,
                                               load_predictions)
    _, work_dir, preds, tmp = trained
    matrices = confusion_matrices(load_predictions(str(preds)), 7)
    metrics = {f'{g}/confusion_matrix': m for g, m in matrices.items()}
    runs = [TrainedRun('a', str(work_dir), str(work_dir / 'epoch_2.pth'),
                       metrics),
            TrainedRun('b', str(work_dir), str(work_dir / 'epoch_1.pth'))]
    written = draw_run_pictures(runs, str(tmp / 'pictures'), num_pairs=2)
    assert sorted(written) == ['Grad-CAM', 'a confusion', 'a curves',
                               'a t-SNE', 'b curves', 'b t-SNE']
    for path in written.values():
        png_size(path)
