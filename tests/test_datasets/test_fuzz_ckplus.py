"""Fuzzing CK+'s emotion-file parser with hypothesis: each text either
loads (the sequence's last frames, all present, with the parsed label) or
raises a DataEntryError / ValueError naming the emotion file and line 1;
never another exception, and no well-formed code is refused.

The tree is written once per module; each example rewrites the emotion
file only.
"""
import math

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from test_ckplus import emotion_text, write_ckplus
from test_fuzz_parsers import TEXT, assert_names, inputs

from mmsde.datasets.ckplus import CKPlus

EMOTION_FILE = 'Emotion/S005/001/S005_001_00000005_emotion.txt'
# mmsde label of each CK+ code, written independently of the module
LABELS = {1: 5, 2: 7, 3: 2, 4: 1, 5: 3, 6: 4, 7: 0}
NUMBER_CHARS = set('0123456789.eE+-')


@pytest.fixture(scope='module')
def ck_root(tmp_path_factory):
    return write_ckplus(tmp_path_factory.mktemp('ckfuzz') / 'ck',
                        [('S005', '001', 5, 3), ('S010', '001', 4, 5)])


def well_formed_code(text: str):
    """The code a careful reader takes from ``text``: one ASCII decimal
    number (after a BOM and whitespace), whole, 1..7; else None."""
    stripped = text.lstrip('\ufeff').strip()
    if not stripped or not set(stripped) <= NUMBER_CHARS:
        return None
    try:
        value = float(stripped)
    except ValueError:
        return None
    if math.isfinite(value) and value.is_integer() and 1 <= value <= 7:
        return int(value)
    return None


CODES = st.one_of(st.integers(-2, 10),
                  st.floats(allow_nan=True, allow_infinity=True))
# whole numbers near 1..7 in the forms a writer might use
WRITTEN = st.builds(
    lambda pad, code, form, end: pad + format(code, form) + end,
    st.sampled_from(['', ' ', '   ', '\ufeff', '\t']), st.integers(0, 8),
    st.sampled_from(['d', '+d', '.1f', '.7e', '.3E', 'g', '08.2f']),
    st.sampled_from(['', '\n', '\r\n', ' \n\n']))


@settings(max_examples=1000, deadline=None, derandomize=True,
          database=None, suppress_health_check=list(HealthCheck))
@given(text=st.one_of(TEXT, inputs(emotion_text(3)), WRITTEN,
                      CODES.map(emotion_text), CODES.map(str)))
@example(text=emotion_text(2))
@example(text='\ufeff   7.0000000e+00\r\n')
@example(text='\udcff')
def test_emotion_file(ck_root, text):
    (ck_root / EMOTION_FILE).write_text(text, encoding='utf-8',
                                        errors='surrogateescape', newline='')
    ds = CKPlus(str(ck_root), split='all', num_classes=8, lazy_init=True)
    expected = well_formed_code(text)
    try:
        records = ds.load_records()
    except Exception as err:  # noqa: B902  (the property under test)
        assert_names(err, EMOTION_FILE)
        assert f'{EMOTION_FILE}:1: ' in str(err)
        assert expected is None, f'{text!r} refused: {err}'
        event('refused')
        return
    event(f'loaded code {expected}')
    assert expected is not None, f'{text!r} accepted'
    images = ck_root / 'cohn-kanade-images'
    assert [(r.img_path, r.gt_label) for r in records] == [
        (str(images / 'S005/001' / f'S005_001_0000000{i}.png'),
         LABELS[expected]) for i in (3, 4, 5)
    ] + [(str(images / 'S010/001' / f'S010_001_0000000{i}.png'), 3)
         for i in (2, 3, 4)]
    assert all(r.source == f'{EMOTION_FILE}:1' for r in records[:3])
