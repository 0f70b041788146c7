"""Mask operations: RoI mask targets and pasting RoI masks into the image."""
import math
from typing import Iterator, List, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align

from .rle import encode_window_rle


def mask_targets(gt_masks: Tensor, rois: Tensor, gt_inds: Tensor, size: int) -> Tensor:
    """Binary ``(N, size, size)`` targets: GT mask ``gt_inds[i]`` cropped by ``rois[i]``.

    The crop is a RoIAlign (aligned, adaptive sampling) of the 0/1 mask, then >= 0.5.
    """
    if rois.shape[0] == 0:
        return rois.new_zeros(0, size, size)
    # Each RoI samples its own GT mask, passed as RoIAlign's batch index: every used GT
    # mask is converted once, instead of one full-size copy per RoI.
    used, index = torch.unique(gt_inds.to(gt_masks.device), return_inverse=True)
    boxes = torch.cat([index.to(rois.device, rois.dtype)[:, None], rois[:, :4]], dim=1)
    masks = gt_masks.index_select(0, used).to(rois.device, rois.dtype)[:, None]
    crops = roi_align(masks, boxes, (size, size), 1.0, 0, True).squeeze(1)
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


def _zeros_bool(num: int, height: int, width: int, device) -> Tensor:
    """A zero bool tensor. On the CPU it comes from ``np.zeros`` (calloc): the pages stay
    untouched until written, so 300 full-size masks cost about what their boxes cover
    instead of a 300 x H x W memset."""
    if torch.device(device).type == 'cpu':
        return torch.from_numpy(np.zeros((num, height, width), dtype=bool))
    return torch.zeros(num, height, width, dtype=torch.bool, device=device)


def take_masks(masks: Union[Tensor, List[dict]], index: Tensor) -> Union[Tensor, List[dict]]:
    """``masks[index]`` for (N, H, W) bitmap masks and for lists of RLEs alike."""
    if isinstance(masks, Tensor):
        return masks[index]
    return [masks[i] for i in index.tolist()]


def masks_to_numpy(masks: Union[Tensor, List[dict]], height: int, width: int) -> np.ndarray:
    """(N, H, W) uint8 masks from bitmap masks or a list of COCO RLEs."""
    if isinstance(masks, Tensor):
        return masks.cpu().numpy().astype(np.uint8)
    if len(masks) == 0:
        return np.zeros((0, height, width), dtype=np.uint8)
    from pycocotools import mask as mask_utils
    rles = [dict(r, counts=r['counts'].encode('ascii')) if isinstance(r['counts'], str)
            else r for r in masks]
    return np.ascontiguousarray(mask_utils.decode(rles).transpose(2, 0, 1))


def paste_windows(mask_probs: Tensor, boxes: Tensor, img_h: int, img_w: int,
                  threshold: float = 0.5) -> Iterator[Tuple[int, Tuple[int, int, int, int],
                                                              Tensor]]:
    """Yield ``(i, (x0, y0, x1, y1), window)`` for each mask with a non-empty window:
    the bool mask inside the pixel window around box ``i`` (outside it, it is all off).

    Each ``(h, w)`` RoI mask probability map is resampled bilinearly at the pixel
    centres of its box (zero outside the RoI grid); pixels are on when prob >= threshold.
    """
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
        yield i, (x0, y0, x1, y1), prob >= threshold


def paste_masks(mask_probs: Tensor, boxes: Tensor, img_h: int, img_w: int,
                threshold: float = 0.5) -> Tensor:
    """Paste ``(N, h, w)`` RoI mask probabilities into ``(N, img_h, img_w)`` bool masks
    (see :func:`paste_windows`)."""
    out = _zeros_bool(mask_probs.shape[0], img_h, img_w, mask_probs.device)
    for i, (x0, y0, x1, y1), window in paste_windows(mask_probs, boxes, img_h, img_w,
                                                     threshold):
        out[i, y0:y1, x0:x1] = window
    return out


def paste_masks_rle(mask_probs: Tensor, boxes: Tensor, img_h: int, img_w: int,
                    threshold: float = 0.5) -> List[dict]:
    """The masks :func:`paste_masks` gives, as COCO compressed RLEs (``counts`` str),
    encoded from each box window without ever forming a full-size mask."""
    empty = encode_window_rle(np.zeros((0, 0), dtype=bool), (0, 0), img_h, img_w)
    rles = [dict(empty) for _ in range(mask_probs.shape[0])]
    for i, (x0, y0, _, _), window in paste_windows(mask_probs, boxes, img_h, img_w,
                                                   threshold):
        rles[i] = encode_window_rle(window.cpu().numpy(), (y0, x0), img_h, img_w)
    return rles
