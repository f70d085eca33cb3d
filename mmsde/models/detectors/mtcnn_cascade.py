"""MTCNN's three-stage cascade on a padded batch of images, in plain PyTorch.

Zhang et al., "Joint Face Detection and Alignment using Multi-task Cascaded
Convolutional Networks", IEEE SPL 2016 (https://arxiv.org/abs/1604.02878).

1. An image pyramid (scales ``12 / min_face_size * factor**k`` while the
   short side stays >= 12 px) goes through P-Net; every cell above the first
   threshold proposes its 12x12 window (2 px stride) mapped back to the
   image; non-maximum suppression (NMS) per scale, then across scales; the
   boxes are regressed and made square.
2. Each square is cut out (zero outside the image), area-resized to 24x24
   and rescored and regressed by R-Net; NMS; squares again.
3. The same at 48x48 with O-Net, which adds five landmarks; NMS by
   intersection over the smaller box.

Boxes follow the original implementation's convention: ``x1, y1`` are
1-based pixel indices, ``x2, y2`` inclusive (so a box sits up to one pixel
right/down of the 0-based continuous convention); landmarks are 0-based
pixel coordinates.

A batch runs as one pass per pyramid scale: each image keeps its own
pyramid (from its own valid height and width), is resized alone (images of
one size together) and padded into the batch; P-Net's cells outside an
image are ignored and its partial border pooling windows are masked (see
:meth:`PNet.forward`), and crops are cut from each image's own area. So an
image gives the same faces in a batch as alone, and padding never proposes
a box. Pyramid levels and crops are area resampling (box averages) read
from one summed-area table of the batch: exact, and several times faster
than ``torch.nn.functional.interpolate(mode='area')`` on CPU.
"""
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import batched_nms, nms

from .mtcnn_nets import ONet, PNet, RNet

CELL = 12
STRIDE = 2


@dataclass
class CascadeConfig:
    """Settings of the cascade.

    Attributes:
        min_face_size (float): Smallest face side to look for, in pixels of
            the network input.
        thresholds (tuple): Face-probability thresholds of P-, R- and O-Net.
        factor (float): Ratio between consecutive pyramid scales.
        nms_thresholds (tuple): IoU of the NMS within one scale, across
            scales, after R-Net, and the intersection-over-smaller-box of
            the final NMS after O-Net.
        max_faces (int): Most faces kept per image (highest scores).
    """
    min_face_size: float = 20.0
    thresholds: Tuple[float, float, float] = (0.6, 0.7, 0.7)
    factor: float = 0.709
    nms_thresholds: Tuple[float, float, float, float] = (0.5, 0.7, 0.7, 0.7)
    max_faces: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.factor < 1:
            raise ValueError(f'factor must be in (0, 1), got {self.factor}')
        if self.min_face_size < CELL:
            raise ValueError('min_face_size must be >= 12 px (the P-Net '
                             f'window), got {self.min_face_size}')
        if len(self.thresholds) != 3 or len(self.nms_thresholds) != 4:
            raise ValueError(
                'thresholds needs 3 values (P/R/O-Net) and nms_thresholds 4 '
                '(per scale, across scales, R-Net, O-Net), got '
                f'{self.thresholds} and {self.nms_thresholds}')


def pyramid_scales(height: int, width: int, min_face_size: float,
                   factor: float) -> List[float]:
    """Scales of the image pyramid of one image.

    Args:
        height (int): Image height.
        width (int): Image width.
        min_face_size (float): Smallest face side in pixels.
        factor (float): Ratio between consecutive scales.

    Returns:
        list[float]: ``12 / min_face_size * factor**k`` for every ``k`` at
        which the short side is still at least 12 px.
    """
    scale = CELL / min_face_size
    side = min(height, width) * scale
    scales = []
    while side >= CELL:
        scales.append(scale)
        scale *= factor
        side *= factor
    return scales


def normalise(x: Tensor) -> Tensor:
    """RGB pixels in [0, 255] to MTCNN's input range."""
    return (x - 127.5) * 0.0078125


def square(boxes: Tensor) -> Tensor:
    """Grow each ``(x1, y1, x2, y2)`` box to a square about its centre."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = torch.maximum(w, h)
    x1 = boxes[:, 0] + (w - side) * 0.5
    y1 = boxes[:, 1] + (h - side) * 0.5
    return torch.stack([x1, y1, x1 + side, y1 + side], dim=1)


def regress(boxes: Tensor, deltas: Tensor, inclusive: bool = True) -> Tensor:
    """Shift box sides by ``deltas`` (fractions of the box size).

    Args:
        boxes (Tensor): ``(K, 4)`` boxes.
        deltas (Tensor): ``(K, 4)`` offsets of x1, y1, x2, y2.
        inclusive (bool): Box size as ``x2 - x1 + 1`` (R-/O-Net) or
            ``x2 - x1`` (P-Net windows).

    Returns:
        Tensor: Regressed boxes ``(K, 4)``.
    """
    extra = 1.0 if inclusive else 0.0
    w = boxes[:, 2] - boxes[:, 0] + extra
    h = boxes[:, 3] - boxes[:, 1] + extra
    return boxes + deltas * torch.stack([w, h, w, h], dim=1)


def nms_min(boxes: Tensor, scores: Tensor, groups: Tensor,
            threshold: float) -> Tensor:
    """Greedy NMS by intersection over the smaller box, per group.

    Args:
        boxes (Tensor): ``(K, 4)`` inclusive-pixel boxes.
        scores (Tensor): ``(K,)``.
        groups (Tensor): ``(K,)`` image index; boxes of different groups
            never suppress each other.
        threshold (float): Suppress when the overlap is above it.

    Returns:
        Tensor: Indices kept, by decreasing score.
    """
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    b = boxes.detach().cpu().double().numpy()
    area = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    g = groups.cpu().numpy()
    order = list(np.argsort(-scores.detach().cpu().numpy(), kind='stable'))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        if not order:
            break
        rest = np.array(order)
        iw = np.maximum(0.0, np.minimum(b[i, 2], b[rest, 2]) -
                        np.maximum(b[i, 0], b[rest, 0]) + 1)
        ih = np.maximum(0.0, np.minimum(b[i, 3], b[rest, 3]) -
                        np.maximum(b[i, 1], b[rest, 1]) + 1)
        overlap = iw * ih / np.minimum(area[i], area[rest])
        order = [int(j) for j, o, gj in zip(rest, overlap, g[rest])
                 if gj != g[i] or o <= threshold]
    return torch.as_tensor(keep, dtype=torch.long, device=boxes.device)


def integral_images(images: Tensor) -> Tensor:
    """Summed-area tables of a batch, for :func:`area_resize` and
    :func:`crop_resize`.

    Sums must be exact (an area's sum is a difference of four large
    corners). Integer pixels (what the data preprocessor gives for 8-bit
    photos) are summed in int32, whose gathers are several times faster
    than float64's, or int64 for photos too large for int32; other values
    in float64.

    Args:
        images (Tensor): ``(B, 3, H, W)``.

    Returns:
        Tensor: ``(B, H+1, W+1, 3)``: entry ``[b, y, x]`` is the sum of
        ``images[b, :, :y, :x]`` per channel.
    """
    if bool((images == images.round()).all()):
        peak = float(images.abs().max()) * images.shape[2] * images.shape[3]
        dtype = torch.int32 if peak < 2**31 else torch.int64
    else:
        dtype = torch.float64
    batch, channels, height, width = images.shape
    table = images.new_zeros(batch, height + 1, width + 1, channels,
                             dtype=dtype)
    table[:, 1:, 1:] = images.to(dtype).cumsum(3).cumsum(2).permute(
        0, 2, 3, 1)
    return table


def _bins(start: Tensor, length: Tensor, size: int,
          limit: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Bin edges of area resampling ``length`` pixels to ``size`` bins
    (those of ``torch.nn.functional.adaptive_avg_pool2d``), as absolute
    pixel positions clamped to ``[0, limit]``, and each bin's pixel count.
    All arguments but ``size`` are ``(K,)`` tensors; results ``(K, size)``.
    """
    i = torch.arange(size + 1, device=start.device)
    lo = torch.div(i[None, :-1] * length[:, None], size, rounding_mode='floor')
    hi = -torch.div(-i[None, 1:] * length[:, None], size,
                    rounding_mode='floor')
    count = hi - lo
    lo = (start[:, None] + lo).clamp(min=0).minimum(limit[:, None])
    hi = (start[:, None] + hi).clamp(min=0).minimum(limit[:, None])
    return lo, hi, count


def area_resize(tables: Tensor, inds: Sequence[int], height: int, width: int,
                size: Tuple[int, int]) -> Tensor:
    """Area-resize the top-left ``height x width`` of some images.

    The same result as ``interpolate(x, size, mode='area')`` (exact sums
    instead of float32 ones), as two structured gathers from the tables.

    Args:
        tables (Tensor): :func:`integral_images` of the batch.
        inds (Sequence[int]): The images.
        height (int): Their valid height.
        width (int): Their valid width.
        size (tuple): Output ``(height, width)``.

    Returns:
        Tensor: ``(len(inds), 3, *size)`` float32 in ``channels_last``.
    """
    zero = torch.zeros(1, dtype=torch.long, device=tables.device)
    r0, r1, rn = _bins(zero, zero + height, size[0], zero + height)
    c0, c1, cn = _bins(zero, zero + width, size[1], zero + width)
    # gathers along the leading dimension (whole rows, then whole pixels)
    # are several times faster than along inner ones
    _, height_1, width_1, channels = tables.shape
    first = torch.as_tensor(inds, device=tables.device)[:, None] * height_1
    by_row = tables.view(-1, width_1, channels)
    rows = (by_row.index_select(0, (first + r1).flatten()) -
            by_row.index_select(0, (first + r0).flatten()))
    sums = (rows.index_select(1, c1[0]) - rows.index_select(1, c0[0]))
    area = (rn[0][:, None] * cn[0][None, :]).repeat(len(inds), 1)
    out = (sums.double() / area[:, :, None]).float()
    return out.view(len(inds), size[0], size[1], channels).permute(0, 3, 1, 2)


def crop_resize(tables: Tensor, boxes: Tensor, image_inds: Tensor,
                valid_hw: Tensor, size: int) -> Tensor:
    """Cut boxes out of images, zero outside each image, and area-resize.

    A box ``(x1, y1, x2, y2)`` covers the 0-based pixels from
    ``trunc(x1) - 1`` to ``trunc(x2) - 1`` (inclusive), as in the original
    implementation. All crops are computed at once from summed-area tables.

    Args:
        tables (Tensor): :func:`integral_images` of the batch.
        boxes (Tensor): ``(K, 4)`` boxes.
        image_inds (Tensor): ``(K,)`` image of each box.
        valid_hw (Tensor): ``(B, 2)`` valid height and width of each image.
        size (int): Output side.

    Returns:
        Tensor: ``(K, 3, size, size)`` float32 RGB crops in [0, 255], in
        ``channels_last``.
    """
    box = boxes.trunc().long()
    x0, y0 = box[:, 0] - 1, box[:, 1] - 1
    w = (box[:, 2] - box[:, 0] + 1).clamp(min=1)
    h = (box[:, 3] - box[:, 1] + 1).clamp(min=1)
    limit = valid_hw[image_inds].long()
    r0, r1, rn = _bins(y0, h, size, limit[:, 0])
    c0, c1, cn = _bins(x0, w, size, limit[:, 1])
    _, rows, cols, _ = tables.shape
    offset = image_inds.long() * (rows * cols)
    flat = tables.view(-1, 3)

    def corner(r: Tensor, c: Tensor) -> Tensor:
        idx = offset[:, None, None] + r[:, :, None] * cols + c[:, None, :]
        return flat.index_select(0, idx.flatten()).view(len(r), -1, 3)

    total = corner(r1, c1) - corner(r0, c1) - corner(r1, c0) + corner(r0, c0)
    area = (rn[:, :, None] * cn[:, None, :]).flatten(1)[:, :, None]
    crops = (total.double() / area).float().view(len(boxes), size, size, 3)
    return crops.permute(0, 3, 1, 2)


def propose(pnet: PNet, tables: Tensor, valid_hw: Tensor,
            cfg: CascadeConfig) -> Tuple[Tensor, Tensor]:
    """Stage 1: P-Net over each image's pyramid.

    Args:
        pnet (PNet): The proposal network.
        tables (Tensor): :func:`integral_images` of the padded batch.
        valid_hw (Tensor): ``(B, 2)`` valid height and width of each image.
        cfg (CascadeConfig): Settings.

    Returns:
        tuple[Tensor, Tensor]: Square candidate boxes ``(K, 4)`` and the
        image index of each ``(K,)``.
    """
    device = tables.device
    sizes = [tuple(int(v) for v in hw) for hw in valid_hw.tolist()]
    pyramids = [pyramid_scales(h, w, cfg.min_face_size, cfg.factor)
                for h, w in sizes]
    found_boxes, found_scores, found_inds = [], [], []
    for k in range(max((len(p) for p in pyramids), default=0)):
        members = [b for b, p in enumerate(pyramids) if len(p) > k]
        scale = pyramids[members[0]][k]
        scaled = [(int(sizes[b][0] * scale + 1), int(sizes[b][1] * scale + 1))
                  for b in members]
        groups: Dict[tuple, List[int]] = {}
        for row, b in enumerate(members):
            groups.setdefault((sizes[b], scaled[row]), []).append(row)
        if len(groups) == 1:
            (((h, w), out), rows), = groups.items()
            batch = area_resize(tables, members, h, w, out)
        else:
            out_h = max(s[0] for s in scaled)
            out_w = max(s[1] for s in scaled)
            batch = torch.zeros(len(members), 3, out_h, out_w,
                                device=device).contiguous(
                                    memory_format=torch.channels_last)
            for ((h, w), (sh, sw)), rows in groups.items():
                batch[rows, :, :sh, :sw] = area_resize(
                    tables, [members[r] for r in rows], h, w, (sh, sw))
        hw = torch.tensor(scaled, device=device)
        prob, reg = pnet(normalise(batch), hw if len(groups) > 1 else None)
        for row, b in enumerate(members):
            oh = PNet.output_size(scaled[row][0])
            ow = PNet.output_size(scaled[row][1])
            p = prob[row, :oh, :ow]
            ys, xs = torch.nonzero(p >= cfg.thresholds[0], as_tuple=True)
            if len(ys) == 0:
                continue
            cells = torch.stack([xs, ys], dim=1).to(prob.dtype)
            top_left = ((STRIDE * cells + 1) / scale).floor()
            bottom_right = ((STRIDE * cells + CELL) / scale).floor()
            scores = p[ys, xs]
            # keep the regression beside each window until after the NMS
            boxes = torch.cat(
                [top_left, bottom_right, reg[row, :, ys, xs].t()], dim=1)
            keep = nms(boxes[:, :4], scores, cfg.nms_thresholds[0])
            found_boxes.append(boxes[keep])
            found_scores.append(scores[keep])
            found_inds.append(torch.full((len(keep), ), b, dtype=torch.long,
                                         device=device))
    if not found_boxes:
        return (torch.zeros(0, 4, device=device),
                torch.zeros(0, dtype=torch.long, device=device))
    boxes = torch.cat(found_boxes)
    scores = torch.cat(found_scores)
    inds = torch.cat(found_inds)
    keep = batched_nms(boxes[:, :4], scores, inds, cfg.nms_thresholds[1])
    boxes, inds = boxes[keep], inds[keep]
    boxes = regress(boxes[:, :4], boxes[:, 4:], inclusive=False)
    return square(boxes), inds


def refine(rnet: RNet, tables: Tensor, boxes: Tensor, inds: Tensor,
           valid_hw: Tensor, cfg: CascadeConfig) -> Tuple[Tensor, Tensor]:
    """Stage 2: R-Net on 24x24 crops; returns square boxes and images."""
    if len(boxes) == 0:
        return boxes, inds
    crops = crop_resize(tables, boxes, inds, valid_hw, 24)
    prob, reg = rnet(normalise(crops))
    ok = prob > cfg.thresholds[1]
    boxes, inds, prob, reg = boxes[ok], inds[ok], prob[ok], reg[ok]
    keep = batched_nms(boxes, prob, inds, cfg.nms_thresholds[2])
    boxes = regress(boxes[keep], reg[keep])
    return square(boxes), inds[keep]


def output(
        onet: ONet, tables: Tensor, boxes: Tensor, inds: Tensor,
        valid_hw: Tensor,
        cfg: CascadeConfig) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Stage 3: O-Net on 48x48 crops.

    Returns:
        tuple: Boxes ``(N, 4)``, scores ``(N,)``, landmarks ``(N, 5, 2)``
        and image indices ``(N,)``.
    """
    if len(boxes) == 0:
        return boxes, boxes.new_zeros(0), boxes.new_zeros(0, 5, 2), inds
    crops = crop_resize(tables, boxes, inds, valid_hw, 48)
    prob, reg, marks = onet(normalise(crops))
    ok = prob > cfg.thresholds[2]
    boxes, inds, prob, reg, marks = (boxes[ok], inds[ok], prob[ok], reg[ok],
                                     marks[ok])
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    xs = w[:, None] * marks[:, :5] + boxes[:, 0, None] - 1
    ys = h[:, None] * marks[:, 5:] + boxes[:, 1, None] - 1
    landmarks = torch.stack([xs, ys], dim=2)
    boxes = regress(boxes, reg)
    keep = nms_min(boxes, prob, inds, cfg.nms_thresholds[3])
    return boxes[keep], prob[keep], landmarks[keep], inds[keep]


def detect_faces(nets: Sequence[torch.nn.Module], images: Tensor,
                 valid_hw: Tensor,
                 cfg: CascadeConfig) -> List[Tuple[Tensor, Tensor, Tensor]]:
    """Run the whole cascade on a padded batch.

    Args:
        nets (sequence): ``(pnet, rnet, onet)``.
        images (Tensor): ``(B, 3, H, W)`` RGB in [0, 255].
        valid_hw (Tensor): ``(B, 2)`` height and width of each image inside
            the padded tensor.
        cfg (CascadeConfig): Settings.

    Returns:
        list[tuple]: Per image: boxes ``(N, 4)``, scores ``(N,)`` and
        landmarks ``(N, 5, 2)`` (left eye, right eye, nose tip, left and
        right mouth corners), by decreasing score, in input pixels.
    """
    pnet, rnet, onet = nets
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError('MTCNN needs RGB images (B, 3, H, W), got shape '
                         f'{tuple(images.shape)}')
    valid_hw = valid_hw.to(images.device).long()
    tables = integral_images(images)
    boxes, inds = propose(pnet, tables, valid_hw, cfg)
    boxes, inds = refine(rnet, tables, boxes, inds, valid_hw, cfg)
    boxes, scores, marks, inds = output(onet, tables, boxes, inds, valid_hw,
                                        cfg)
    results = []
    for b in range(len(images)):
        mine = torch.nonzero(inds == b, as_tuple=True)[0]
        order = scores[mine].argsort(descending=True)[:cfg.max_faces]
        mine = mine[order]
        results.append((boxes[mine], scores[mine], marks[mine]))
    return results
