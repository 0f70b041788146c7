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


# Most channels cv2.resize takes in one array: CV_CN_MAX is 512 in OpenCV 4 but 128 in
# OpenCV 5 (more fail with "m->dims <= 2"); 128 is safe for both.
_CV_MAX_CHANNELS = 128


def resize_masks(masks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Nearest-neighbour resize of (N, H, W) masks, in chunks of OpenCV's channel limit."""
    if masks.shape[0] == 0:
        return np.zeros((0, height, width), dtype=masks.dtype)
    chunks = []
    for start in range(0, masks.shape[0], _CV_MAX_CHANNELS):
        chunk = np.ascontiguousarray(
            masks[start:start + _CV_MAX_CHANNELS].transpose(1, 2, 0))
        out = cv2.resize(chunk, (width, height), interpolation=cv2.INTER_NEAREST)
        chunks.append(out.reshape(height, width, -1).transpose(2, 0, 1))
    return np.ascontiguousarray(np.concatenate(chunks))


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
        results['img'] = np.ascontiguousarray(np.flip(results['img'], axis=axis))
        if 'gt_bboxes' in results:
            boxes = results['gt_bboxes'].copy()
            if axis == 1:
                boxes[:, 0], boxes[:, 2] = w - results['gt_bboxes'][:, 2], w - results['gt_bboxes'][:, 0]
            else:
                boxes[:, 1], boxes[:, 3] = h - results['gt_bboxes'][:, 3], h - results['gt_bboxes'][:, 1]
            results['gt_bboxes'] = boxes
        if 'gt_masks' in results:
            results['gt_masks'] = np.ascontiguousarray(np.flip(results['gt_masks'], axis=axis + 1))
        if 'gt_seg_map' in results:
            results['gt_seg_map'] = np.ascontiguousarray(np.flip(results['gt_seg_map'], axis=axis))
        return results
