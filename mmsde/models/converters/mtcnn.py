"""MTCNN weights from the facenet-pytorch wheel, as one MMEngine checkpoint.

The MIT-licensed ``facenet-pytorch`` 2.6.0 wheel ships P-, R- and O-Net as
plain state dicts (``facenet_pytorch/data/{pnet,rnet,onet}.pt``). The
package itself pins torch < 2.3, so it is never installed: the three files
are read straight out of the wheel (a zip), every key and shape is checked,
the tensors are renamed onto :mod:`mmsde.models.detectors.mtcnn_nets` and
written, with the wheel's licence beside them, to
:func:`mtcnn_checkpoint_path`.

The networks live in :mod:`mmsde.models.detectors`, which needs the face
tools (MMDetection), so this module does too: it is not imported by
:mod:`mmsde.models.converters` itself.

The source's fully connected layers expect their input flattened in
``(width, height, channel)`` order (a transposed layout inherited from the
original Caffe/TensorFlow models); the converter reorders their columns so
that the networks here flatten in PyTorch's usual ``(channel, height,
width)`` order.
"""
import hashlib
import io
import os.path as osp
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import torch

from mmsde.utils.atomic import atomic_path
from mmsde.utils.cache import cache_root
from mmsde.utils.face_tools import require_face_tools

require_face_tools('mmsde.models.converters.mtcnn')
from ..detectors.mtcnn_nets import ONet, PNet, RNet  # noqa: E402
from .state_dict import CheckpointMismatchError, check_keys  # noqa: E402
from .wheels import download_wheel  # noqa: E402

PACKAGE = 'facenet-pytorch'
VERSION = '2.6.0'
SOURCE = f'{PACKAGE} {VERSION} (MIT)'
CHECKPOINT_NAME = f'mtcnn_{PACKAGE}-{VERSION}.pth'
WHEEL_DATA = 'facenet_pytorch/data/{}.pt'
WHEEL_LICENSE = f'facenet_pytorch-{VERSION}.dist-info/LICENSE.md'

# our name <- facenet-pytorch's name, per network
KEY_MAPS: Dict[str, Dict[str, str]] = {
    'pnet': dict(conv1='conv1', act1='prelu1', conv2='conv2', act2='prelu2',
                 conv3='conv3', act3='prelu3', score='conv4_1',
                 bbox='conv4_2'),
    'rnet': dict(conv1='conv1', act1='prelu1', conv2='conv2', act2='prelu2',
                 conv3='conv3', act3='prelu3', fc='dense4', act_fc='prelu4',
                 score='dense5_1', bbox='dense5_2'),
    'onet': dict(conv1='conv1', act1='prelu1', conv2='conv2', act2='prelu2',
                 conv3='conv3', act3='prelu3', conv4='conv4', act4='prelu4',
                 fc='dense5', act_fc='prelu5', score='dense6_1',
                 bbox='dense6_2', landmarks='dense6_3'),
}
NETS = dict(pnet=PNet, rnet=RNet, onet=ONet)
# the fc layers whose input columns are in (width, height, channel) order:
# (channels, height, width) of the feature map they flatten
TRANSPOSED_FC = {'rnet': ('fc', (64, 3, 3)), 'onet': ('fc', (128, 3, 3))}


def mtcnn_checkpoint_path() -> Path:
    """Where the converted checkpoint lives:
    ``cache_root() / 'weights' / 'mtcnn_facenet-pytorch-2.6.0.pth'``."""
    return cache_root() / 'weights' / CHECKPOINT_NAME


def _source_key(net: str, ours: str) -> str:
    module, param = ours.split('.', 1)
    return f'{KEY_MAPS[net][module]}.{param}'


def convert_net(net: str, source: Mapping[str, torch.Tensor],
                origin: str) -> Dict[str, torch.Tensor]:
    """Rename and check one network's state dict.

    Args:
        net (str): ``'pnet'``, ``'rnet'`` or ``'onet'``.
        source (Mapping): facenet-pytorch's state dict of that network.
        origin (str): Where it came from, for messages.

    Returns:
        dict: Tensors under this network's own keys (``conv1.weight``...),
        fully connected inputs reordered to ``(C, H, W)``.

    Raises:
        CheckpointMismatchError: A key is missing, unexpected, or has
            another shape; every such key is named.
    """
    if not isinstance(source, Mapping):
        raise CheckpointMismatchError(
            f'{origin}: expected a state dict, got {type(source).__name__}')
    reference = NETS[net]().state_dict()
    expected = {_source_key(net, k): (k, tuple(v.shape))
                for k, v in reference.items()}
    check_keys(source, {k: shape for k, (_, shape) in expected.items()},
               f'{origin} does not fit MTCNN {net}; nothing was written.')
    converted = {ours: source[theirs].detach().clone().float()
                 for theirs, (ours, _) in expected.items()}
    if net in TRANSPOSED_FC:
        module, (c, h, w) = TRANSPOSED_FC[net]
        weight = converted[f'{module}.weight']
        converted[f'{module}.weight'] = weight.view(-1, w, h, c).permute(
            0, 3, 2, 1).reshape(weight.shape[0], -1).contiguous()
    return converted


def read_wheel(wheel: str) -> Tuple[Dict[str, Dict[str, torch.Tensor]], str]:
    """The three state dicts and the licence text inside the wheel.

    Args:
        wheel (str): Path of ``facenet_pytorch-2.6.0-py3-none-any.whl``.

    Returns:
        tuple: ``{'pnet': state_dict, ...}`` and the licence text.

    Raises:
        FileNotFoundError: No such wheel.
        CheckpointMismatchError: A member is missing or not a state dict.
    """
    if not osp.isfile(wheel):
        raise FileNotFoundError(f'wheel {wheel} can not be found')
    state_dicts = {}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for net in NETS:
            member = WHEEL_DATA.format(net)
            if member not in names:
                raise CheckpointMismatchError(
                    f'{wheel} has no {member}: not a facenet-pytorch wheel?')
            data = io.BytesIO(archive.read(member))
            state_dicts[net] = torch.load(data, map_location='cpu',
                                          weights_only=True)
        license_text = (archive.read(WHEEL_LICENSE).decode('utf-8')
                        if WHEEL_LICENSE in names else '')
    if not license_text:
        raise CheckpointMismatchError(
            f'{wheel} has no {WHEEL_LICENSE}; refusing to copy weights '
            'without their licence')
    return state_dicts, license_text


def convert_mtcnn_wheel(wheel: Optional[str] = None,
                        dst: Optional[str] = None,
                        force: bool = False) -> Path:
    """Write MTCNN's weights from the facenet-pytorch wheel as a checkpoint.

    The checkpoint is ``{'state_dict': {'pnet.conv1.weight': ...},
    'meta': {'dataset_meta': {'classes': ('face',)}, 'source': ...}}``, the
    keys of :class:`~mmsde.models.detectors.MTCNNFaceDetector`; it holds
    only tensors and plain values (loads with ``weights_only=True``). It is
    written atomically, with the wheel's licence next to it (same name,
    ``.LICENSE.md`` instead of ``.pth``).

    Args:
        wheel (str, optional): The wheel; downloaded with pip into a
            temporary folder when not given.
        dst (str, optional): Output file; :func:`mtcnn_checkpoint_path` by
            default.
        force (bool): Convert even if ``dst`` exists.

    Returns:
        Path: The checkpoint (left as it was when present and not
        ``force``).

    Raises:
        FileNotFoundError: ``wheel`` does not exist.
        CheckpointMismatchError: A weight file does not fit the networks
            (the keys are named); nothing is written.
    """
    dst = Path(dst) if dst else mtcnn_checkpoint_path()
    if dst.is_file() and not force:
        return dst
    if wheel is None:
        with tempfile.TemporaryDirectory() as tmp:
            return convert_mtcnn_wheel(
                str(download_wheel(f'{PACKAGE}=={VERSION}', tmp)), dst,
                force=True)
    state_dicts, license_text = read_wheel(wheel)
    state_dict = {}
    for net, source in state_dicts.items():
        origin = f'{osp.basename(wheel)}:{WHEEL_DATA.format(net)}'
        for key, value in convert_net(net, source, origin).items():
            state_dict[f'{net}.{key}'] = value
    with open(wheel, 'rb') as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    meta = dict(
        dataset_meta=dict(classes=('face', )),
        source=SOURCE,
        wheel=osp.basename(wheel),
        wheel_sha256=sha256,
        license=dst.with_suffix('.LICENSE.md').name,
        converter='mmsde.models.converters.mtcnn.convert_mtcnn_wheel')
    license_path = dst.with_suffix('.LICENSE.md')
    with atomic_path(str(license_path)) as tmp:
        Path(tmp).write_text(license_text)
    with atomic_path(str(dst)) as tmp:
        torch.save(dict(state_dict=state_dict, meta=meta), tmp)
    return dst
