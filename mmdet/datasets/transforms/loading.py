"""Read images and annotations into a pipeline's ``results`` dict."""
from typing import List, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from pycocotools import mask as mask_utils

from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Read ``results['img_path']`` as a uint8 BGR ``(H, W, 3)`` array.

    A missing or undecodable file raises an error naming the file and the image id.
    """

    def __init__(self, to_float32: bool = False):
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        where = f'{path} (image id {results.get("img_id")})'
        try:
            data = np.fromfile(path, dtype=np.uint8)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise FileNotFoundError(f'image file not found: {where}') from exc
        except OSError as exc:
            raise OSError(f'cannot read image {where}: {exc}') from exc
        img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if img is None:
            raise ValueError(f'cannot decode image {where}: not a valid image file')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadImageFromNDArray(BaseTransform):
    """Take ``results['img']``, a uint8 BGR ``(H, W, 3)`` array already in memory, as
    :class:`LoadImageFromFile` would have read it (the inferencer's pipeline for arrays)."""

    def __init__(self, to_float32: bool = False):
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3):
            raise ValueError(f'image {results.get("img_id")} must be an (H, W, 3) BGR array, '
                             f'got {getattr(img, "shape", type(img).__name__)}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


def segmentation_to_mask(segm, height: int, width: int) -> np.ndarray:
    """A polygon list, an uncompressed RLE or a compressed RLE as a uint8 (H, W) mask."""
    if isinstance(segm, list):
        polys = [p for p in segm if len(p) >= 6]
        if not polys:
            return np.zeros((height, width), dtype=np.uint8)
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
    elif isinstance(segm, dict) and isinstance(segm.get('counts'), list):
        rle = mask_utils.frPyObjects(segm, height, width)
    elif isinstance(segm, dict):
        rle = segm
    else:
        raise ValueError(f'unsupported segmentation of type {type(segm).__name__}')
    return mask_utils.decode(rle)


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Instances of ``results['instances']`` into arrays.

    Adds ``gt_bboxes`` (N, 4) float32 x1y1x2y2, ``gt_bboxes_labels`` (N,) int64,
    ``gt_ignore_flags`` (N,) bool, with ``with_mask`` ``gt_masks`` (N, H, W) uint8 and,
    with ``with_seg``, ``gt_seg_map`` (H, W) uint8: the semantic map (e.g. COCO-stuff's
    ``stuffthingmaps``, 255 = unlabelled) read from ``results['seg_map_path']``.
    """

    def __init__(self, with_bbox: bool = True, with_label: bool = True, with_mask: bool = False,
                 with_seg: bool = False, poly2mask: bool = True):
        if not poly2mask:
            raise ValueError('LoadAnnotations(poly2mask=False) is not supported: masks are '
                             'always decoded to bitmaps')
        self.with_bbox = with_bbox
        self.with_label = with_label
        self.with_mask = with_mask
        self.with_seg = with_seg

    def transform(self, results: dict) -> dict:
        instances: List[dict] = results.get('instances', [])
        if self.with_bbox:
            results['gt_bboxes'] = np.array([i['bbox'] for i in instances],
                                            dtype=np.float32).reshape(-1, 4)
            results['gt_ignore_flags'] = np.array([bool(i.get('ignore_flag', 0))
                                                   for i in instances], dtype=bool)
        if self.with_label:
            results['gt_bboxes_labels'] = np.array([i['bbox_label'] for i in instances],
                                                   dtype=np.int64)
        if self.with_mask:
            h, w = results['ori_shape'] if 'ori_shape' in results else (
                results['height'], results['width'])
            masks = [segmentation_to_mask(i['mask'], h, w) for i in instances]
            results['gt_masks'] = (np.stack(masks) if masks
                                   else np.zeros((0, h, w), dtype=np.uint8))
        if self.with_seg:
            results['gt_seg_map'] = load_seg_map(results, results['img'].shape[:2])
        return results


def load_seg_map(results: dict, shape) -> np.ndarray:
    """The semantic map of ``results['seg_map_path']`` as (H, W) uint8, the size of the
    image it belongs to."""
    path = results.get('seg_map_path')
    if path is None:
        raise KeyError("LoadAnnotations(with_seg=True) needs each image's 'seg_map_path': "
                       "give the dataset data_prefix=dict(img=..., seg=...)")
    seg = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if seg is None:
        raise FileNotFoundError(f'cannot read the semantic map {path} (image '
                                f'{results.get("img_path")})')
    if seg.ndim != 2 or seg.dtype != np.uint8:
        raise ValueError(f'{path}: a semantic map is one uint8 channel of labels, got '
                         f'shape {seg.shape} and {seg.dtype}')
    if seg.shape != tuple(shape):
        raise ValueError(f'{path} is {seg.shape[1]}x{seg.shape[0]}, its image '
                         f'{results.get("img_path")} {shape[1]}x{shape[0]}')
    return seg


__all__: Optional[List[str]] = ['LoadImageFromFile', 'LoadAnnotations', 'load_seg_map',
                                 'segmentation_to_mask']
