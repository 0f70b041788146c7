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
    ``gt_ignore_flags`` (N,) bool and, with ``with_mask``, ``gt_masks`` (N, H, W) uint8.
    """

    def __init__(self, with_bbox: bool = True, with_label: bool = True, with_mask: bool = False,
                 poly2mask: bool = True):
        if not poly2mask:
            raise ValueError('LoadAnnotations(poly2mask=False) is not supported: masks are '
                             'always decoded to bitmaps')
        self.with_bbox = with_bbox
        self.with_label = with_label
        self.with_mask = with_mask

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
        return results


__all__: Optional[List[str]] = ['LoadImageFromFile', 'LoadAnnotations', 'segmentation_to_mask']
