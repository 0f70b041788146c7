"""Mask operations: RoI mask targets and pasting RoI masks into the image."""
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align


def mask_targets(gt_masks: Tensor, rois: Tensor, gt_inds: Tensor, size: int) -> Tensor:
    """Binary ``(N, size, size)`` targets: GT mask ``gt_inds[i]`` cropped by ``rois[i]``.

    The crop is a RoIAlign (aligned, adaptive sampling) of the 0/1 mask, then >= 0.5.
    """
    if rois.shape[0] == 0:
        return rois.new_zeros(0, size, size)
    boxes = torch.cat([torch.arange(rois.shape[0], device=rois.device,
                                    dtype=rois.dtype)[:, None], rois[:, :4]], dim=1)
    masks = gt_masks.index_select(0, gt_inds.to(gt_masks.device)).to(rois.device, rois.dtype)
    crops = roi_align(masks[:, None], boxes, (size, size), 1.0, 0, True).squeeze(1)
    return (crops >= 0.5).to(rois.dtype)


def _box_window(box: Sequence[float], img_h: int, img_w: int):
    """Integer pixel window that covers a box plus one pixel, within the image."""
    x0 = max(int(math.floor(box[0])) - 1, 0)
    y0 = max(int(math.floor(box[1])) - 1, 0)
    x1 = min(int(math.ceil(box[2])) + 1, img_w)
    y1 = min(int(math.ceil(box[3])) + 1, img_h)
    return x0, y0, x1, y1


def _sample_grid(lo: int, hi: int, box_lo: Tensor, box_hi: Tensor) -> Tensor:
    """Normalised [-1, 1] coordinates of pixel centres lo..hi-1 relative to a box side."""
    centres = torch.arange(lo, hi, device=box_lo.device, dtype=torch.float32) + 0.5
    grid = (centres - box_lo) / (box_hi - box_lo) * 2 - 1
    return torch.where(torch.isinf(grid), torch.zeros_like(grid), grid)


def paste_masks(mask_probs: Tensor, boxes: Tensor, img_h: int, img_w: int,
                threshold: float = 0.5) -> Tensor:
    """Paste ``(N, h, w)`` RoI mask probabilities into ``(N, img_h, img_w)`` bool masks.

    Each mask is resampled bilinearly at pixel centres of its box (zero outside the
    RoI grid), inside a window around its box only; pixels are on when prob >= threshold.
    """
    out = torch.zeros(mask_probs.shape[0], img_h, img_w, dtype=torch.bool,
                      device=mask_probs.device)
    boxes_cpu = boxes.detach().float().cpu().tolist()
    for i, box in enumerate(boxes_cpu):
        x0, y0, x1, y1 = _box_window(box, img_h, img_w)
        if x1 <= x0 or y1 <= y0:
            continue
        b = boxes[i].float()
        gx = _sample_grid(x0, x1, b[0], b[2])
        gy = _sample_grid(y0, y1, b[1], b[3])
        grid = torch.stack(torch.broadcast_tensors(gx[None, :], gy[:, None]), dim=-1)
        prob = F.grid_sample(mask_probs[i][None, None].float(), grid[None],
                             align_corners=False)[0, 0]
        out[i, y0:y1, x0:x1] = prob >= threshold
    return out
