"""WIDER FACE's VOC layout: the converter of the official box files, the
writer of generated scenes, and MMDetection's WIDERFaceDataset reading
both through the face-detection configs."""
import runpy
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmsde.datasets import DataEntryError
from mmsde.datasets.wider_face import (convert_wider_face,
                                       generate_face_scenes,
                                       parse_wider_face_txt)
from mmsde.synthetic.scenes import render_scene

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs' / 'face_detection'
R50_CONFIG = CONFIGS / 'retinanet_r50_fpn_1x_widerface.py'
SCENES_CONFIG = CONFIGS / 'retinanet_r18_fpn_1xb8-12e_face-scenes-160.py'

# The official format, made up: name, count, then x1 y1 w h blur expression
# illumination invalid occlusion pose; count 0 is followed by one line of
# zeros.
WIDER_TXT = """0--Parade/0_Parade_marchingband_1_5.jpg
3
10 20 30 40 0 0 0 0 0 0
50 60 10 12 1 0 0 1 0 0
5 5 0 7 0 0 0 0 0 0
1--Handshaking/1_Handshaking_Handshaking_1_9.jpg
0
0 0 0 0 0 0 0 0 0 0
2--Demonstration/2_Demonstration_Protesters_2_7.jpg
1
90 5 20 20 2 0 1 0 1 0
"""
SIZES = {'0_Parade_marchingband_1_5': (120, 100),
         '1_Handshaking_Handshaking_1_9': (64, 48),
         '2_Demonstration_Protesters_2_7': (100, 80)}


def write_wider(root: Path, text: str = WIDER_TXT) -> Path:
    """Official layout: images under WIDER_train/images/<event>/, the box
    file under wider_face_split/."""
    ann = root / 'wider_face_split' / 'wider_face_train_bbx_gt.txt'
    ann.parent.mkdir(parents=True)
    ann.write_text(text)
    for line in text.splitlines():
        if line.endswith('.jpg'):
            path = root / 'WIDER_train' / 'images' / line
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new('RGB', SIZES[path.stem], (90, 90, 90)).save(path)
    return ann


def voc_objects(xml_path: Path) -> list:
    root = ET.parse(xml_path).getroot()
    return [([int(o.find(f'bndbox/{k}').text)
              for k in ('xmin', 'ymin', 'xmax', 'ymax')],
             int(o.find('difficult').text)) for o in root.iter('object')]


def test_parse_counts_and_the_zero_count_case(tmp_path):
    images = parse_wider_face_txt(write_wider(tmp_path))
    assert [len(i['boxes']) for i in images] == [3, 0, 1]
    assert images[0]['file_name'] == '0--Parade/0_Parade_marchingband_1_5.jpg'
    np.testing.assert_array_equal(images[0]['boxes'][1], [50, 60, 10, 12])
    assert images[0]['attributes'][1].tolist() == [1, 0, 0, 1, 0, 0]
    assert images[1]['boxes'].shape == (0, 4)


def test_convert_writes_voc_layout_with_documented_box_handling(tmp_path):
    ann = write_wider(tmp_path)
    summary = convert_wider_face(ann, tmp_path, 'train')
    assert summary == dict(list_file=str(tmp_path / 'train.txt'),
                           num_images=3, num_faces=3, num_difficult=1,
                           num_dropped=1)
    assert (tmp_path / 'train.txt').read_text().split() == list(SIZES)
    xml_dir = tmp_path / 'WIDER_train' / 'Annotations'
    # x1 y1 w h -> x1 y1 x2 y2; invalid -> difficult; w=0 dropped
    assert voc_objects(xml_dir / '0_Parade_marchingband_1_5.xml') == [
        ([10, 20, 40, 60], 0), ([50, 60, 60, 72], 1)]
    assert voc_objects(xml_dir / '1_Handshaking_Handshaking_1_9.xml') == []
    # clipped to the 100 x 80 image
    assert voc_objects(xml_dir / '2_Demonstration_Protesters_2_7.xml') == [
        ([90, 5, 100, 25], 0)]
    root = ET.parse(xml_dir / '0_Parade_marchingband_1_5.xml').getroot()
    assert root.find('folder').text == 'images/0--Parade'
    assert root.find('size/width').text == '120'


@pytest.mark.parametrize('text, line, match', [
    (WIDER_TXT.replace('10 20 30 40 0 0 0 0 0 0', '10 20 30 40'), 3,
     'expected 10 numbers'),
    (WIDER_TXT.replace('50 60 10 12', '50 sixty 10 12'), 4,
     'expected 10 numbers'),
    (WIDER_TXT.replace('\n3\n', '\nthree\n'), 2, 'face count'),
    (WIDER_TXT.rsplit('90 5', 1)[0], 11, 'declares 1 faces'),
])
def test_malformed_lines_name_file_and_line(tmp_path, text, line, match):
    ann = tmp_path / 'wider_face_train_bbx_gt.txt'
    ann.write_text(text)
    with pytest.raises(DataEntryError, match=match) as err:
        parse_wider_face_txt(ann)
    assert f'{ann}, line {line}:' in str(err.value)


def test_missing_image_is_named(tmp_path):
    ann = write_wider(tmp_path)
    missing = (tmp_path / 'WIDER_train' / 'images' / '1--Handshaking' /
               '1_Handshaking_Handshaking_1_9.jpg')
    missing.unlink()
    with pytest.raises(DataEntryError, match=str(missing)):
        convert_wider_face(ann, tmp_path, 'train')


def test_converter_tool(tmp_path, monkeypatch, capsys):
    write_wider(tmp_path)
    monkeypatch.setattr(sys, 'argv', [
        'wider_face_to_voc.py', str(tmp_path), '--splits', 'train'])
    runpy.run_path(
        str(REPO / 'tools/dataset_converters/wider_face_to_voc.py'),
        run_name='__main__')
    assert 'train: ' in capsys.readouterr().out
    assert (tmp_path / 'train.txt').is_file()


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp('face_scenes')
    return generate_face_scenes(root, num_scenes=10, img_size=96, seed=2)


def build_dataset(config: Path, data_root: str, split: str = 'train'):
    from mmdet.registry import DATASETS
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(str(config))[f'{split}_dataloader'].dataset
    cfg.data_root = data_root
    with DefaultScope.overwrite_default_scope('mmdet'):
        return DATASETS.build(cfg)


def test_scenes_read_by_wider_face_dataset_of_the_configs(scenes):
    truth = scenes['scenes']
    assert scenes['num_faces'] == sum(len(s['bboxes']) for s in truth)
    assert any(len(s['bboxes']) == 0 for s in truth)
    dataset = build_dataset(SCENES_CONFIG, scenes['root'])
    assert len(dataset) == len(truth)  # scenes without faces are kept
    for i, scene in enumerate(truth):
        info = dataset.get_data_info(i)
        assert info['img_id'] == scene['img_id']
        assert Path(info['img_path']) == Path(scene['img_path'])
        assert (info['width'], info['height']) == (96, 96)
        boxes = np.array([x['bbox'] for x in info['instances']],
                         np.float32).reshape(-1, 4)
        np.testing.assert_array_equal(boxes, scene['bboxes'])
        assert all(x['ignore_flag'] == 0 for x in info['instances'])
    sample = dataset[0]  # the pipeline reads the image
    assert tuple(sample['inputs'].shape[1:]) == (160, 160)
    # the WIDER FACE config drops scenes without faces
    r50 = build_dataset(R50_CONFIG, scenes['root'])
    assert len(r50) == sum(len(s['bboxes']) > 0 for s in truth)


def test_written_scenes_match_render_scene(scenes):
    import cv2
    scene = scenes['scenes'][4]
    drawn = render_scene(2, 4, img_size=96)
    np.testing.assert_array_equal(drawn.bboxes, scene['bboxes'])
    np.testing.assert_array_equal(drawn.landmarks, scene['landmarks'])
    img = cv2.imread(scene['img_path'])
    assert np.abs(img.astype(int) - drawn.img).mean() < 3  # JPEG 95


def test_scene_files_are_deterministic(scenes, tmp_path):
    again = generate_face_scenes(tmp_path, num_scenes=10, img_size=96,
                                 seed=2)
    for a, b in zip(scenes['scenes'], again['scenes']):
        for key in ('img_path', 'xml_path'):
            assert Path(a[key]).read_bytes() == Path(b[key]).read_bytes()
    assert not list(tmp_path.rglob('*partial*'))
    with pytest.raises(FileExistsError, match='overwrite'):
        generate_face_scenes(tmp_path, num_scenes=2)
    generate_face_scenes(tmp_path, num_scenes=2, overwrite=True)
    assert len((tmp_path / 'train.txt').read_text().split()) == 2
    assert len(list((tmp_path / 'WIDER_train/Annotations').iterdir())) == 2
