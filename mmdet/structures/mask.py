"""Masks: RoI mask targets for training, and :class:`RoIMasks`, the one type predicted
instance masks have (RoI probability maps pasted into the image on demand)."""
import math
import numbers
from typing import Iterator, List, Sequence, Tuple

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
    if gt_masks.device.type == rois.device.type == 'cpu' and rois.dtype == torch.float32:
        # the masks read in place, as float32 (bit-equal to the conversion below);
        # imported here: mmdet.models imports this module
        from mmdet.models.layers.roi_align_nhwc import roi_align_maps
        crops = roi_align_maps(gt_masks, rois[:, :4], gt_inds.to(torch.long), size)
        return (crops >= 0.5).to(rois.dtype)
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


def _zeros_bool(num: int, height: int, width: int, device) -> Tensor:
    """A zero bool tensor. On the CPU it comes from ``np.zeros`` (calloc): the pages stay
    untouched until written, so 300 full-size masks cost about what their boxes cover
    instead of a 300 x H x W memset."""
    if torch.device(device).type == 'cpu':
        return torch.from_numpy(np.zeros((num, height, width), dtype=bool))
    return torch.zeros(num, height, width, dtype=torch.bool, device=device)


class RoIMasks:
    """Predicted instance masks: each a probability map over its RoI (``probs`` ``(N, h,
    w)``) and the box it covers in an image of ``image_size`` (H, W), binarised at
    ``threshold``. Nothing is pasted until an encoding is asked for, and then only
    inside each box's pixel window (see :func:`paste_windows`):

    - :meth:`to_rle`: COCO compressed RLEs (``counts`` str), never a full-size mask;
    - :meth:`to_bitmap`: ``(N, H, W)`` bool masks.

    Indexing (int, slice, index or bool tensor/array/list) selects masks like the other
    fields of an ``InstanceData``; :meth:`cat` joins masks of the same image.
    """

    def __init__(self, probs: Tensor, boxes: Tensor, image_size: Sequence[int],
                 threshold: float = 0.5):
        if probs.dim() != 3 or boxes.shape != (probs.shape[0], 4):
            raise ValueError(f'RoIMasks needs probs (N, h, w) and boxes (N, 4), got '
                             f'{tuple(probs.shape)} and {tuple(boxes.shape)}')
        self.probs = probs
        self.boxes = boxes
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.threshold = float(threshold)

    def __len__(self) -> int:
        return self.probs.shape[0]

    def __repr__(self) -> str:
        return (f'RoIMasks(num={len(self)}, image_size={self.image_size}, '
                f'roi_size={tuple(self.probs.shape[1:])}, threshold={self.threshold})')

    def __getitem__(self, index) -> 'RoIMasks':
        """Masks ``index`` selects (an int keeps the first dimension)."""
        if isinstance(index, Tensor) and index.dim() == 0:
            index = index.item()
        if isinstance(index, numbers.Integral) and not isinstance(index, bool):
            if not -len(self) <= index < len(self):
                raise IndexError(f'mask index {index} out of range for {len(self)} masks')
            index = slice(int(index) % len(self), int(index) % len(self) + 1)
        elif isinstance(index, (list, tuple, np.ndarray)):
            array = np.asarray(index)
            index = torch.as_tensor(array if array.size else array.astype(np.int64))
        if isinstance(index, Tensor):
            index = index.to(self.probs.device)
        return RoIMasks(self.probs[index], self.boxes[index], self.image_size, self.threshold)

    @classmethod
    def from_bitmaps(cls, masks: Tensor) -> 'RoIMasks':
        """Full-size ``(N, H, W)`` binary masks (e.g. ground truth) as RoI masks whose RoI
        is the whole image: every encoding gives the same masks back."""
        height, width = masks.shape[1:]
        boxes = masks.new_tensor([0, 0, width, height], dtype=torch.float32)
        return cls(masks.float(), boxes.expand(masks.shape[0], 4), (height, width))

    @staticmethod
    def cat(masks_list: Sequence['RoIMasks']) -> 'RoIMasks':
        first = masks_list[0]
        for masks in masks_list[1:]:
            if (masks.image_size, masks.threshold) != (first.image_size, first.threshold):
                raise ValueError('RoIMasks.cat joins masks of one image with one threshold, '
                                 f'got {first!r} and {masks!r}')
        probs = [m.probs for m in masks_list]
        if len({p.shape[1:] for p in probs if len(p)}) > 1:
            raise ValueError('RoIMasks.cat joins masks of one RoI size')
        nonempty = [m for m in masks_list if len(m)] or [first]
        return RoIMasks(torch.cat([m.probs for m in nonempty]),
                        torch.cat([m.boxes for m in nonempty]), first.image_size,
                        first.threshold)

    @property
    def device(self) -> torch.device:
        return self.probs.device

    def to(self, *args, **kwargs) -> 'RoIMasks':
        return RoIMasks(self.probs.to(*args, **kwargs), self.boxes.to(*args, **kwargs),
                        self.image_size, self.threshold)

    def cpu(self) -> 'RoIMasks':
        return self.to('cpu')

    def windows(self) -> Iterator[Tuple[int, Tuple[int, int, int, int], Tensor]]:
        """``(i, (x0, y0, x1, y1), bool window)`` of each mask with a non-empty window."""
        return paste_windows(self.probs, self.boxes, *self.image_size, self.threshold)

    def to_rle(self) -> List[dict]:
        """COCO compressed RLEs (``{'size': [H, W], 'counts': str}``), each encoded from
        its box window; equal to ``pycocotools.mask.encode`` of :meth:`to_bitmap`."""
        height, width = self.image_size
        empty = encode_window_rle(np.zeros((0, 0), dtype=bool), (0, 0), height, width)
        rles = [dict(empty) for _ in range(len(self))]
        for i, (x0, y0, _, _), window in self.windows():
            rles[i] = encode_window_rle(window.cpu().numpy(), (y0, x0), height, width)
        return rles

    def to_bitmap(self) -> Tensor:
        """``(N, H, W)`` bool masks, on the masks' device."""
        out = _zeros_bool(len(self), *self.image_size, self.device)
        for i, (x0, y0, x1, y1), window in self.windows():
            out[i, y0:y1, x0:x1] = window
        return out
