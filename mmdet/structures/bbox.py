"""Box operations on ``(N, 4)`` float tensors in ``x1, y1, x2, y2`` order, no "+1"."""
from typing import List, Sequence

import torch
from torch import Tensor


def box_area(boxes: Tensor) -> Tensor:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def bbox_overlaps(boxes1: Tensor, boxes2: Tensor, mode: str = 'iou',
                  eps: float = 1e-6) -> Tensor:
    """Pairwise IoU (or IoF: intersection over the area of ``boxes1``), shape (N, M)."""
    if mode not in ('iou', 'iof'):
        raise ValueError(f"mode must be 'iou' or 'iof', got {mode!r}")
    if boxes1.numel() == 0 or boxes2.numel() == 0:
        return boxes1.new_zeros(boxes1.shape[0], boxes2.shape[0])
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area1 = box_area(boxes1)
    union = area1[:, None] if mode == 'iof' else area1[:, None] + box_area(boxes2)[None] - inter
    return inter / union.clamp(min=eps)


def clip_boxes(boxes: Tensor, img_shape: Sequence[int]) -> Tensor:
    """Clip x to [0, W] and y to [0, H]; ``img_shape`` is (H, W). Works on (..., 4k)."""
    h, w = img_shape[:2]
    shape = boxes.shape
    boxes = boxes.reshape(*shape[:-1], -1, 2)
    boxes = torch.stack([boxes[..., 0].clamp(0, w), boxes[..., 1].clamp(0, h)], dim=-1)
    return boxes.reshape(shape)


def rescale_boxes(boxes: Tensor, scale_factor: Sequence[float]) -> Tensor:
    """Map boxes back to the original image: divide by ``scale_factor`` (w_scale, h_scale)."""
    sx, sy = scale_factor[:2]
    scale = boxes.new_tensor([sx, sy, sx, sy])
    return (boxes.reshape(*boxes.shape[:-1], -1, 4) / scale).reshape(boxes.shape)


def flip_boxes(boxes: Tensor, img_shape: Sequence[int], direction: str = 'horizontal') -> Tensor:
    h, w = img_shape[:2]
    flipped = boxes.clone()
    if direction == 'horizontal':
        flipped[..., 0::4] = w - boxes[..., 2::4]
        flipped[..., 2::4] = w - boxes[..., 0::4]
    elif direction == 'vertical':
        flipped[..., 1::4] = h - boxes[..., 3::4]
        flipped[..., 3::4] = h - boxes[..., 1::4]
    else:
        raise ValueError(f'unknown flip direction {direction!r}')
    return flipped


def bbox2roi(boxes_list: List[Tensor]) -> Tensor:
    """Concatenate per-image boxes into RoIs ``[batch_idx, x1, y1, x2, y2]``, shape (N, 5)."""
    rois = [torch.cat([b.new_full((b.shape[0], 1), i), b[:, :4]], dim=1)
            for i, b in enumerate(boxes_list)]
    return torch.cat(rois, dim=0)
