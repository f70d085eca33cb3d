"""The web demo: its computation on a real photo (no browser), then the page
itself, served on localhost and driven in Chromium by Selenium.

The browser test needs Debian's ``chromium`` and ``chromium-driver``
(``apt-get install chromium chromium-driver``); it skips, saying so, where
they are missing, and fails instead with ``MMSDE_REQUIRE_BROWSER=1`` (CI).
Its screenshots go to ``MMSDE_SCREENSHOT_DIR`` when set.
"""
import os
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('gradio', reason='the demo extra (requirements/demo.txt)')
from mmsde.apis.face_detection import default_detector_checkpoint  # noqa
from mmsde.apis.web_demo import (NO_FACE, ModelCache, analyse,  # noqa
                                 build_demo, demo_models, put_on_masks)

try:
    default_detector_checkpoint()
except FileNotFoundError as err:  # tools/install.sh converts the weights
    pytest.skip(str(err), allow_module_level=True)

MODEL = 'mini-xception_fer2013-pre_64px-grey_msde'
CHROMIUM = ('/usr/bin/chromium', '/usr/bin/chromedriver')


@pytest.fixture(scope='module')
def photo(tmp_path_factory) -> Path:
    """scikit-image's astronaut: one smiling face."""
    skimage_data = pytest.importorskip('skimage.data')
    path = tmp_path_factory.mktemp('photo') / 'astronaut.png'
    cv2.imwrite(str(path), skimage_data.astronaut()[..., ::-1])
    return path


@pytest.fixture(scope='module')
def inferencer():
    from mmsde.apis import MaskedFERInferencer
    return MaskedFERInferencer(MODEL)


def test_analyse_a_smiling_face_with_and_without_a_mask(inferencer, photo):
    plain = analyse(inferencer, str(photo), mask=False)
    assert plain.status == '1 face found.' and plain.masked is None
    assert '| 1 | Happiness |' in plain.table
    img = cv2.imread(str(photo))
    assert plain.plain.shape == img.shape
    masked = analyse(inferencer, str(photo), mask=True, style='cloth')
    assert masked.status.startswith('1 face found, ')
    assert masked.status.endswith(' changed by the mask.')
    faces = inferencer.detector.detect([img])[0]
    # the masked image is the photo with the mask over the mouth only
    drawn = put_on_masks(img, faces, 'cloth')
    differs = np.any(drawn != img, axis=2)
    landmarks = np.asarray(faces[0].landmarks)
    eye_y, mouth_y = landmarks[0, 1], landmarks[3, 1]
    rows = np.nonzero(differs.any(axis=1))[0]
    assert rows.min() > eye_y and rows.max() > mouth_y
    expected = inferencer.predict([drawn], [faces])[0][0]
    assert f'| {expected.label} | {expected.score:.2f} |' in masked.table


def test_clear_messages_for_no_face_a_bad_file_and_a_bad_model(
        inferencer, tmp_path):
    blank = tmp_path / 'wall.png'
    cv2.imwrite(str(blank), np.full((240, 320, 3), 180, np.uint8))
    assert analyse(inferencer, str(blank), mask=True).status == NO_FACE
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    result = analyse(inferencer, str(broken), mask=False)
    assert result.status.startswith('Cannot read broken.png as an image')
    cache = ModelCache(lambda model, ckpt: 1 / 0)
    assert cache.get('mine.py', None) == (
        None, 'Could not load the model mine.py: division by zero')
    assert cache.built == {}


def browser_or_skip():
    """Selenium's Chrome driver on Debian's Chromium, or a skip (a failure
    with MMSDE_REQUIRE_BROWSER=1) saying what is missing."""
    missing = [p for p in CHROMIUM if not Path(p).is_file()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append('selenium (requirements/tests.txt)')
    if missing:
        reason = (f'no browser to test the web demo: {", ".join(missing)} '
                  'missing (apt-get install chromium chromium-driver)')
        if os.environ.get('MMSDE_REQUIRE_BROWSER') == '1':
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM[0]
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--window-size=1400,1000'):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMIUM[1]), options=options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_page_in_chromium(inferencer, photo, tmp_path, monkeypatch):
    """Upload the photo: the page shows one face labelled Happiness; put on
    a mask: the masked picture appears and the table gains the masked
    labels; a file that is no image gets the page's message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    monkeypatch.setenv('GRADIO_ANALYTICS_ENABLED', 'False')
    assert MODEL in demo_models()
    demo = build_demo([MODEL], lambda model, ckpt: inferencer)
    port = free_port()
    demo.launch(server_name='127.0.0.1', server_port=port,
                prevent_thread_lock=True, quiet=True)
    driver = browser_or_skip()
    shots = Path(os.environ.get('MMSDE_SCREENSHOT_DIR') or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    try:
        driver.get(f'http://127.0.0.1:{port}')
        wait = WebDriverWait(driver, 90)

        def text(elem_id: str) -> str:
            return driver.find_element(By.ID, elem_id).text

        def upload(path: Path) -> None:
            field = wait.until(lambda d: d.find_elements(
                By.CSS_SELECTOR, '#upload input[type=file]'))[0]
            field.send_keys(str(path))

        upload(photo)
        wait.until(lambda d: 'found' in text('status'))
        assert text('status') == '1 face found.'
        assert text('table').splitlines()[1].startswith('1 Happiness 1.00')
        assert not driver.find_elements(By.CSS_SELECTOR, '#masked img')
        driver.save_screenshot(str(shots / 'web_demo_no_mask.png'))

        driver.find_element(By.CSS_SELECTOR,
                            '#mask input[type=checkbox]').click()
        wait.until(lambda d: 'changed by the mask' in text('status'))
        header = text('table').splitlines()[0]
        assert 'with a mask' in header
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#masked img'))
        driver.save_screenshot(str(shots / 'web_demo_mask.png'))

        driver.find_element(By.CSS_SELECTOR,
                            '#upload button[aria-label="Clear"]').click()
        wait.until(lambda d: text('status').startswith('Upload a photo'))
        broken = tmp_path / 'broken.png'
        broken.write_bytes(b'not a png')
        upload(broken)
        wait.until(lambda d: 'Cannot read' in text('status')
                   or 'rror' in d.find_element(By.TAG_NAME, 'body').text)
        driver.save_screenshot(str(shots / 'web_demo_bad_file.png'))
        assert text('status').startswith('Cannot read')
    finally:
        driver.quit()
        demo.close()
    for name in ('web_demo_no_mask', 'web_demo_mask'):
        shot = cv2.imread(str(shots / f'{name}.png'))
        assert shot is not None and shot.shape[1] == 1400
