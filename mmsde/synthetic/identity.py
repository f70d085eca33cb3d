"""Who is drawn: the identities and expressions of the synthetic faces.

Every subject has an :class:`Identity` (face shape, skin, hair, eyes,
glasses, pose, lighting, background) drawn from ``(seed, subject)``; every
image has expression cues (:class:`UpperFace`, :class:`Mouth`) at a random
intensity. The upper-face cues are weaker and overlap between some classes
(surprise/fear, disgust/anger, happiness/neutral), so hiding the mouth makes
classification measurably harder, as with real masks.
"""
import math
from dataclasses import dataclass, replace
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from mmsde.utils.classes import FER_CLASSES

EXPRESSIONS = FER_CLASSES

# Random streams, the last entry of a seed sequence ``[seed, subject, label,
# k, stream]``, so that identity, face and mask draw independent numbers;
# the second photograph of a pair (the one that is masked when the masked
# view is a second photo, see render_pair) has its own. 4 is the identity
# set's (mmsde.datasets.identity_writer).
IDENTITY_STREAM, FACE_STREAM, MASK_STREAM = 1, 2, 3
SECOND_PHOTO_STREAM = 5

# Palettes, RGB (converted to BGR when drawn).
_SKIN = ((255, 224, 200), (242, 200, 168), (226, 178, 138), (200, 146, 104),
         (164, 110, 74), (112, 74, 52))
_HAIR = ((24, 20, 20), (62, 42, 30), (112, 76, 46), (206, 170, 112),
         (156, 70, 36), (168, 168, 168))
_IRIS = ((74, 48, 28), (44, 28, 18), (72, 118, 168), (82, 122, 72), (124, 92,
                                                                     52))
_HAIR_STYLES = ('short', 'long', 'fringe', 'bald')
_BACKGROUND_HSV = ((0, 180), (0, 90), (110, 235))
_SHIRT_HSV = ((0, 180), (30, 220), (40, 220))

Color = np.ndarray  # BGR, float


@dataclass
class Identity:
    """What stays fixed for one subject across its images.

    Geometry is in a canonical 112 x 112 frame whose eyes and mouth sit near
    the ArcFace template.
    """
    skin: Color
    hair: Color
    hair_style: str
    iris: Color
    lips: Color
    shirt: Color
    glasses: Optional[Color]
    background: Color
    bg_noise: np.ndarray  # low-resolution noise, upsampled when drawn
    face_axes: Tuple[float, float]
    face_cy: float
    jaw: float
    eye_dx: float
    eye_y: float
    eye_w: float
    brow_gap: float
    brow_width: float
    nose_y: float
    mouth_y: float
    mouth_scale: float
    light_angle: float
    light_gain: float
    pose: Tuple[float, float, float, float]  # dx, dy, log-scale, roll (deg)


@dataclass
class UpperFace:
    """Expression cues above the mask line."""
    brow_raise: float  # whole brow up (+) or down (-), canonical pixels
    brow_inner: float  # inner ends up (+, sad/fear) or down (-, anger)
    eye_open: float  # 1 = neutral opening
    furrow: float  # vertical lines between the brows, 0..1
    forehead: float  # horizontal forehead lines, 0..1
    cheek: float  # raised cheeks / lower lids, 0..1
    nose_wrinkle: float  # wrinkles on the nose bridge, 0..1


@dataclass
class Mouth:
    """Mouth shape: corners plus cubic inner-lip curves, or an open O."""
    half_width: float
    corner_dy: Tuple[float, float]  # left, right corner offsets (+ = down)
    upper: Tuple[float, float]  # inner upper-lip control offsets
    lower: Tuple[float, float]  # inner lower-lip control offsets
    lip_top: float
    lip_bottom: float
    teeth: str  # 'none', 'upper' or 'both' (clenched)
    round_open: float = 0.0  # > 0: an O-shaped mouth this tall


UPPER_CUES = {  # label -> full-intensity upper-face cues
    0: UpperFace(4.5, 0.3, 1.45, 0.0, 1.0, 0.0, 0.0),  # Surprise
    1: UpperFace(3.6, 1.8, 1.35, 0.4, 0.7, 0.0, 0.0),  # Fear
    2: UpperFace(-1.8, -1.4, 0.72, 0.6, 0.0, 0.6, 0.9),  # Disgust
    3: UpperFace(0.3, 0.0, 0.78, 0.0, 0.0, 1.0, 0.0),  # Happiness
    4: UpperFace(0.4, 2.6, 0.82, 0.3, 0.4, 0.0, 0.0),  # Sadness
    5: UpperFace(-2.4, -3.0, 0.92, 1.0, 0.0, 0.0, 0.2),  # Anger
    6: UpperFace(0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),  # Neutral
}
MOUTH_CUES = {  # label -> full-intensity mouth
    0: Mouth(7.0, (0, 0), (0, 0), (0, 0), 2.2, 2.8, 'none', round_open=13.0),
    1: Mouth(17.0, (2.5, 2.5), (-1.0, -1.0), (6.0, 6.0), 1.6, 2.6, 'upper'),
    2: Mouth(13.5, (-2.0, 2.0), (-6.5, -1.5), (0.5, 3.5), 2.4, 3.2, 'upper'),
    3: Mouth(16.5, (-5.5, -5.5), (3.0, 3.0), (11.0, 11.0), 1.8, 2.8, 'upper'),
    4: Mouth(12.5, (5.0, 5.0), (-3.5, -3.5), (-3.0, -3.0), 2.0, 4.0, 'none'),
    5: Mouth(12.0, (1.5, 1.5), (-2.0, -2.0), (2.8, 2.8), 1.2, 1.6, 'both'),
    6: Mouth(13.0, (0.4, 0.4), (0.3, 0.3), (0.3, 0.3), 2.2, 3.2, 'none'),
}


def _bgr(rgb: Sequence[float]) -> Color:
    return np.asarray(rgb[::-1], dtype=np.float64)


def _hsv_colour(rng: np.random.Generator, *ranges: Tuple[int, int]) -> Color:
    """A BGR colour drawn uniformly in the given H, S and V ranges."""
    hsv = np.uint8([[[rng.integers(*r) for r in ranges]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(float)


def _pick(rng: np.random.Generator, palette: Sequence) -> Color:
    """A palette colour, slightly perturbed, as BGR."""
    base = _bgr(palette[rng.integers(len(palette))])
    return np.clip(base * rng.uniform(0.92, 1.06) + rng.normal(0, 5, 3), 0,
                   255)


def _light_and_pose(rng: np.random.Generator) -> dict:
    """The lighting and head position of a photo."""
    return dict(
        light_angle=rng.uniform(0, 2 * math.pi),
        light_gain=rng.uniform(0.04, 0.2),
        pose=(rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-0.07, 0.05),
              rng.uniform(-3, 3)))


def make_identity(seed: int, subject: int) -> Identity:
    """Draw the identity of one subject.

    Args:
        seed (int): Seed of the whole set.
        subject (int): Subject ID.

    Returns:
        Identity: Everything that stays fixed across the subject's images.
    """
    rng = np.random.default_rng([seed, subject, 0, 0, IDENTITY_STREAM])
    skin = _pick(rng, _SKIN)
    background = _hsv_colour(rng, *_BACKGROUND_HSV)
    shirt = _hsv_colour(rng, *_SHIRT_HSV)
    glasses = None
    if rng.random() < 0.25:
        glasses = _bgr(
            ((30, 30, 30), (120, 80, 40), (170, 170, 175))[rng.integers(3)])
    return Identity(
        skin=skin,
        hair=_pick(rng, _HAIR),
        hair_style=_HAIR_STYLES[rng.choice(4, p=[0.4, 0.3, 0.2, 0.1])],
        iris=_pick(rng, _IRIS),
        lips=np.clip(skin * np.array([0.72, 0.68, 0.95]) + rng.normal(0, 6, 3),
                     0, 255),
        shirt=shirt,
        glasses=glasses,
        background=background,
        bg_noise=rng.normal(0, 1, (5, 5)).astype(np.float32),
        face_axes=(rng.uniform(33.5, 39.0), rng.uniform(44.0, 50.0)),
        face_cy=rng.uniform(61.0, 65.0),
        jaw=rng.uniform(0.08, 0.3),
        eye_dx=rng.uniform(16.5, 18.8),
        eye_y=rng.uniform(50.0, 53.0),
        eye_w=rng.uniform(10.5, 13.0),
        brow_gap=rng.uniform(7.5, 9.5),
        brow_width=rng.uniform(1.8, 3.0),
        nose_y=rng.uniform(70.0, 73.5),
        mouth_y=rng.uniform(90.5, 93.5),
        mouth_scale=rng.uniform(0.9, 1.1),
        **_light_and_pose(rng))


def restaged(ident: Identity, rng: np.random.Generator) -> Identity:
    """The same person photographed elsewhere: a new background, shirt,
    lighting and head position, as the images of one person differ in a
    face-recognition set (the face, hair, skin and glasses stay)."""
    return replace(
        ident,
        background=_hsv_colour(rng, *_BACKGROUND_HSV),
        bg_noise=rng.normal(0, 1, (5, 5)).astype(np.float32),
        shirt=_hsv_colour(rng, *_SHIRT_HSV),
        **_light_and_pose(rng))


def expression_cues(label: int,
                    rng: np.random.Generator) -> Tuple[UpperFace, Mouth]:
    """Draw the expression of one image: class cues at a random intensity.

    The upper face varies widely in intensity and carries noise, the mouth
    stays close to its prototype: masks hide the more reliable cue.

    Args:
        label (int): Class index, see :data:`EXPRESSIONS`.
        rng (np.random.Generator): Per-image generator.

    Returns:
        tuple: ``(UpperFace, Mouth)``.
    """
    neutral_up, neutral_mouth = UPPER_CUES[6], MOUTH_CUES[6]
    t_up, t_mouth = rng.uniform(0.35, 1.0), rng.uniform(0.75, 1.0)
    up, mouth = UPPER_CUES[label], MOUTH_CUES[label]
    noise = rng.normal(0, [0.8, 0.6, 0.07, 0.1, 0.1, 0.1, 0.1])
    vals = [
        n + t_up * (c - n) + e for n, c, e in zip(
            vars(neutral_up).values(),
            vars(up).values(), noise)
    ]
    upper = UpperFace(*[float(v) for v in vals])
    upper.eye_open = max(upper.eye_open, 0.25)

    def mix(field: str):
        a, b = getattr(neutral_mouth, field), getattr(mouth, field)
        if isinstance(a, tuple):
            return tuple(x + t_mouth * (y - x) for x, y in zip(a, b))
        return a + t_mouth * (b - a)

    mouth = Mouth(
        half_width=mix('half_width'),
        corner_dy=mix('corner_dy'),
        upper=mix('upper'),
        lower=mix('lower'),
        lip_top=mouth.lip_top,
        lip_bottom=mouth.lip_bottom,
        teeth=mouth.teeth,
        round_open=t_mouth * mouth.round_open)
    return upper, mouth
