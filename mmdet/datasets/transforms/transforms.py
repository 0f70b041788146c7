"""Geometric transforms: resize (fixed or random scale) and flip, for image, boxes, masks
and semantic maps."""
import random
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS


def rescale_size(width: int, height: int, scale: Tuple[int, int]) -> Tuple[int, int]:
    """Keep-ratio size that fits (long, short) edge limits ``scale``, as (w, h)."""
    long_edge, short_edge = max(scale), min(scale)
    factor = min(long_edge / max(width, height), short_edge / min(width, height))
    return int(width * factor + 0.5), int(height * factor + 0.5)


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize the image (bilinear) and masks (nearest); scale boxes and clip them.

    ``scale`` is (w, h); with ``keep_ratio`` it bounds the long and short edges (so
    (1333, 800) is the usual single-scale setting). Records ``scale_factor`` (w, h).
    """

    def __init__(self, scale: Sequence[int] = (1333, 800), keep_ratio: bool = True,
                 clip_object_border: bool = True):
        self.scale = tuple(scale)
        self.keep_ratio = keep_ratio
        self.clip_object_border = clip_object_border

    def _target_scale(self) -> Tuple[int, int]:
        return self.scale

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        scale = self._target_scale()
        new_w, new_h = rescale_size(w, h, scale) if self.keep_ratio else scale
        if (new_w, new_h) != (w, h):
            results['img'] = cv2.resize(results['img'], (new_w, new_h),
                                        interpolation=cv2.INTER_LINEAR)
        sx, sy = new_w / w, new_h / h
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (sx, sy)
        results['keep_ratio'] = self.keep_ratio
        if 'gt_bboxes' in results:
            boxes = results['gt_bboxes'] * np.array([sx, sy, sx, sy], dtype=np.float32)
            if self.clip_object_border:
                boxes[:, 0::2] = boxes[:, 0::2].clip(0, new_w)
                boxes[:, 1::2] = boxes[:, 1::2].clip(0, new_h)
            results['gt_bboxes'] = boxes
        if 'gt_masks' in results and (new_w, new_h) != (w, h):
            results['gt_masks'] = resize_masks(results['gt_masks'], new_w, new_h)
        if 'gt_seg_map' in results and (new_w, new_h) != (w, h):
            results['gt_seg_map'] = cv2.resize(results['gt_seg_map'], (new_w, new_h),
                                               interpolation=cv2.INTER_NEAREST)
        return results


def resize_masks(masks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Nearest-neighbour resize of (N, H, W) masks: each mask by ``cv2.resize`` straight
    into its slot of the (N, height, width) result, the values of mmcv's ``imresize`` of
    each mask (what mmdetection's ``BitmapMasks`` does, without its stacking copy)."""
    out = np.empty((masks.shape[0], height, width), dtype=masks.dtype)
    for src, dst in zip(masks, out):
        _into(dst, cv2.resize(src, (width, height), dst=dst, interpolation=cv2.INTER_NEAREST))
    return out


def _into(dst: np.ndarray, result: np.ndarray) -> None:
    """Make sure an OpenCV result asked for in ``dst`` is there (OpenCV allocates anew,
    silently, when it cannot use ``dst``)."""
    if not np.may_share_memory(result, dst):
        dst[...] = result


# dtypes OpenCV takes (not bool, int64, ...); others go through numpy
_CV_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32,
                                         np.float32, np.float64))


def flip_array(array: np.ndarray, direction: str) -> np.ndarray:
    """A contiguous horizontal or vertical mirror of an (H, W) or (H, W, C) array (OpenCV's
    flip: 4-10x faster than copying numpy's reversed view)."""
    code = 1 if direction == 'horizontal' else 0
    if array.size == 0 or array.dtype not in _CV_DTYPES or (array.ndim == 3
                                                             and array.shape[2] > 4):
        return np.ascontiguousarray(np.flip(array, axis=code))
    return cv2.flip(array, code)


def flip_masks(masks: np.ndarray, direction: str) -> np.ndarray:
    """(N, H, W) masks mirrored alike: horizontally, every row of the (N * H, W) stack at
    once."""
    n, h, w = masks.shape
    if direction == 'horizontal':
        return flip_array(np.ascontiguousarray(masks).reshape(n * h, w), direction).reshape(n, h, w)
    return np.ascontiguousarray(masks[:, ::-1])


@TRANSFORMS.register_module()
class RandomChoiceResize(Resize):
    """Multi-scale training: each image takes one of ``scales`` at random."""

    def __init__(self, scales: List[Sequence[int]], keep_ratio: bool = True,
                 clip_object_border: bool = True):
        super().__init__(scales[0], keep_ratio, clip_object_border)
        self.scales = [tuple(s) for s in scales]

    def _target_scale(self) -> Tuple[int, int]:
        return self.scales[random.randrange(len(self.scales))]


@TRANSFORMS.register_module()
class RandomResize(Resize):
    """Multi-scale training over a range (mmcv's ``RandomResize`` with two scales): the
    long and the short edge limits each drawn uniformly between those of ``scale[0]``
    and ``scale[1]`` (HTC's ``[(1600, 400), (1600, 1400)]``: short side 400-1400)."""

    def __init__(self, scale: Sequence[Sequence[int]], keep_ratio: bool = True,
                 clip_object_border: bool = True):
        if len(scale) != 2 or any(len(s) != 2 for s in scale):
            raise ValueError(f'RandomResize takes two (w, h) scales, the range ends; got {scale}')
        super().__init__(tuple(scale[0]), keep_ratio, clip_object_border)
        self.scales = [tuple(s) for s in scale]

    def _target_scale(self) -> Tuple[int, int]:
        longs = sorted(max(s) for s in self.scales)
        shorts = sorted(min(s) for s in self.scales)
        return (random.randint(longs[0], longs[1]), random.randint(shorts[0], shorts[1]))


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip image, boxes and masks horizontally (or vertically) with probability ``prob``."""

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal'):
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(f"direction must be 'horizontal' or 'vertical', got {direction!r}")
        self.prob = prob
        self.direction = direction

    def transform(self, results: dict) -> dict:
        flip = random.random() < self.prob
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        if not flip:
            return results
        h, w = results['img'].shape[:2]
        axis = 1 if self.direction == 'horizontal' else 0
        results['img'] = flip_array(results['img'], self.direction)
        if 'gt_bboxes' in results:
            boxes = results['gt_bboxes'].copy()
            if axis == 1:
                boxes[:, 0], boxes[:, 2] = w - results['gt_bboxes'][:, 2], w - results['gt_bboxes'][:, 0]
            else:
                boxes[:, 1], boxes[:, 3] = h - results['gt_bboxes'][:, 3], h - results['gt_bboxes'][:, 1]
            results['gt_bboxes'] = boxes
        if 'gt_masks' in results:
            results['gt_masks'] = flip_masks(results['gt_masks'], self.direction)
        if 'gt_seg_map' in results:
            results['gt_seg_map'] = flip_array(results['gt_seg_map'], self.direction)
        return results
