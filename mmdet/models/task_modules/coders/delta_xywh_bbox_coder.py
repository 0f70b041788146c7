"""``(dx, dy, dw, dh)`` box coder, as in R-CNN and mmdetection 3.x.

With reference box ``p`` and target ``g`` (``x1, y1, x2, y2``, no "+1"):
``px = (x1 + x2) * 0.5``, ``pw = x2 - x1``, ``dx = (gx - px) / pw``,
``dw = log(gw / pw)``, and the stored deltas are ``(d - means) / stds``.
The float operations follow mmdetection's order, so results agree bit for bit.
"""
import math
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import clip_boxes

from .base_bbox_coder import BaseBBoxCoder


@TASK_UTILS.register_module()
class DeltaXYWHBBoxCoder(BaseBBoxCoder):
    """Delta XYWH box coder.

    Args:
        target_means, target_stds: normalisation of the deltas.
        clip_border: clip decoded boxes to ``max_shape`` (when given).
        add_ctr_clamp: clamp the centre shift ``pw * dx`` to ``+-ctr_clamp`` pixels
            (and ``dw, dh`` only from above), as in YOLOF.
        ctr_clamp: the centre-shift bound in pixels.
    """

    encode_size = 4
    size_offset = 0.  # a box's width is x2 - x1 + size_offset (1 in mmdetection v1)

    def __init__(self,
                 target_means: Sequence[float] = (0., 0., 0., 0.),
                 target_stds: Sequence[float] = (1., 1., 1., 1.),
                 clip_border: bool = True,
                 add_ctr_clamp: bool = False,
                 ctr_clamp: int = 32,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.means = tuple(float(m) for m in target_means)
        self.stds = tuple(float(s) for s in target_stds)
        self.clip_border = clip_border
        self.add_ctr_clamp = add_ctr_clamp
        self.ctr_clamp = ctr_clamp

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Deltas ``(..., 4)`` that turn ``bboxes`` into ``gt_bboxes`` (same shape)."""
        if bboxes.size(0) != gt_bboxes.size(0):
            raise ValueError(f'bboxes and gt_bboxes differ in length: '
                             f'{bboxes.size(0)} vs {gt_bboxes.size(0)}')
        if bboxes.size(-1) != 4 or gt_bboxes.size(-1) != 4:
            raise ValueError('encode expects boxes with 4 coordinates')
        return bbox2delta(bboxes, gt_bboxes, self.means, self.stds, self.size_offset)

    def decode(self, bboxes: Tensor, pred_bboxes: Tensor,
               max_shape: Optional[Sequence[int]] = None,
               wh_ratio_clip: float = 16 / 1000) -> Tensor:
        """Apply deltas ``pred_bboxes`` ``(N, 4k)`` to ``bboxes`` ``(N, 4)``.

        Each group of 4 columns (class-wise regression) is decoded against the same
        box. Leading dims are allowed: ``(..., N, 4)`` with ``(..., N, 4k)``.
        ``max_shape`` is ``(H, W)``; x is clipped to ``[0, W]`` and y to ``[0, H]``.
        """
        if pred_bboxes.shape[:-1] != bboxes.shape[:-1]:
            raise ValueError(f'bboxes {tuple(bboxes.shape)} and pred_bboxes '
                             f'{tuple(pred_bboxes.shape)} differ in leading dims')
        if pred_bboxes.dim() == 2:
            return delta2bbox(bboxes, pred_bboxes, self.means, self.stds, max_shape,
                              wh_ratio_clip, self.clip_border, self.add_ctr_clamp,
                              self.ctr_clamp, self.size_offset)
        lead = pred_bboxes.shape[:-1]
        out = delta2bbox(bboxes.reshape(-1, bboxes.size(-1)),
                         pred_bboxes.reshape(-1, pred_bboxes.size(-1)), self.means,
                         self.stds, max_shape, wh_ratio_clip, self.clip_border,
                         self.add_ctr_clamp, self.ctr_clamp, self.size_offset)
        return out.reshape(*lead, pred_bboxes.size(-1))


def bbox2delta(proposals: Tensor, gt: Tensor,
               means: Sequence[float] = (0., 0., 0., 0.),
               stds: Sequence[float] = (1., 1., 1., 1.), size_offset: float = 0.) -> Tensor:
    """Deltas of ``gt`` w.r.t. ``proposals`` (both ``(..., 4)``), normalised; a box is
    ``x2 - x1 + size_offset`` wide."""
    if proposals.size() != gt.size():
        raise ValueError(f'proposals {tuple(proposals.shape)} and gt '
                         f'{tuple(gt.shape)} differ in shape')
    proposals = proposals.float()
    gt = gt.float()
    p_cx = (proposals[..., 0] + proposals[..., 2]) * 0.5
    p_cy = (proposals[..., 1] + proposals[..., 3]) * 0.5
    p_w = proposals[..., 2] - proposals[..., 0] + size_offset
    p_h = proposals[..., 3] - proposals[..., 1] + size_offset

    g_cx = (gt[..., 0] + gt[..., 2]) * 0.5
    g_cy = (gt[..., 1] + gt[..., 3]) * 0.5
    g_w = gt[..., 2] - gt[..., 0] + size_offset
    g_h = gt[..., 3] - gt[..., 1] + size_offset

    deltas = torch.stack([(g_cx - p_cx) / p_w, (g_cy - p_cy) / p_h,
                          torch.log(g_w / p_w), torch.log(g_h / p_h)], dim=-1)
    mean_t = deltas.new_tensor(means)
    std_t = deltas.new_tensor(stds)
    return (deltas - mean_t) / std_t


def _as_hw(max_shape) -> Sequence[Union[int, float]]:
    if isinstance(max_shape, Tensor):
        max_shape = max_shape.tolist()
    return max_shape[:2]


def delta2bbox(rois: Tensor, deltas: Tensor,
               means: Sequence[float] = (0., 0., 0., 0.),
               stds: Sequence[float] = (1., 1., 1., 1.),
               max_shape: Optional[Sequence[int]] = None,
               wh_ratio_clip: float = 16 / 1000,
               clip_border: bool = True,
               add_ctr_clamp: bool = False,
               ctr_clamp: int = 32,
               size_offset: float = 0.) -> Tensor:
    """Boxes ``(N, 4k)`` from ``rois`` ``(N, 4)`` and deltas ``(N, 4k)``. With
    ``size_offset`` (mmdetection v1: 1) a roi is ``x2 - x1 + size_offset`` wide and
    boxes are clipped to ``[0, W - size_offset]``, ``[0, H - size_offset]``."""
    num_rois = deltas.size(0)
    num_groups = deltas.size(1) // 4
    if num_rois == 0:
        return deltas
    flat = deltas.reshape(-1, 4)
    denorm = flat * flat.new_tensor(stds).view(1, -1) + flat.new_tensor(means).view(1, -1)
    d_xy = denorm[:, :2]
    d_wh = denorm[:, 2:]

    # every group of 4 deltas is decoded against the same roi
    ref = rois.repeat(1, num_groups).reshape(-1, 4)
    p_xy = (ref[:, :2] + ref[:, 2:]) * 0.5
    p_wh = ref[:, 2:] - ref[:, :2]
    if size_offset:
        p_wh = p_wh + size_offset

    shift_xy = p_wh * d_xy
    max_ratio = abs(math.log(wh_ratio_clip))
    if add_ctr_clamp:
        shift_xy = torch.clamp(shift_xy, min=-ctr_clamp, max=ctr_clamp)
        d_wh = torch.clamp(d_wh, max=max_ratio)
    else:
        d_wh = d_wh.clamp(min=-max_ratio, max=max_ratio)

    g_xy = p_xy + shift_xy
    g_wh = p_wh * d_wh.exp()
    half = g_wh * 0.5
    boxes = torch.cat([g_xy - half, g_xy + half], dim=-1)
    if clip_border and max_shape is not None:
        h, w = _as_hw(max_shape)
        boxes = clip_boxes(boxes, (h - size_offset, w - size_offset))
    return boxes.reshape(num_rois, -1)
