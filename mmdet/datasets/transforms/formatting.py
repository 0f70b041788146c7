"""Pack a pipeline's ``results`` into model inputs: a CHW image tensor and a sample."""
import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from mmdet.registry import TRANSFORMS
from mmdet.structures import DetDataSample, InstanceData


@TRANSFORMS.register_module()
class PackDetInputs(BaseTransform):
    """``inputs``: uint8 (3, H, W) tensor; ``data_samples``: a DetDataSample whose
    ``gt_instances`` hold the non-ignored boxes, labels and masks, ``ignored_instances``
    the ignored ones, ``gt_sem_seg`` the semantic map (``sem_seg`` (1, H, W) uint8) when
    there is one, and whose metainfo holds ``meta_keys``."""

    def __init__(self, meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                  'scale_factor', 'flip', 'flip_direction')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        inputs = torch.from_numpy(channels_first(results['img']))
        sample = DetDataSample()
        if 'gt_bboxes' in results:
            ignore = results.get('gt_ignore_flags', np.zeros(len(results['gt_bboxes']), bool))
            for keep, field in ((~ignore, 'gt_instances'), (ignore, 'ignored_instances')):
                inst = InstanceData()
                inst.bboxes = torch.from_numpy(results['gt_bboxes'][keep])
                if 'gt_bboxes_labels' in results:
                    inst.labels = torch.from_numpy(results['gt_bboxes_labels'][keep])
                if 'gt_masks' in results and field == 'gt_instances':
                    masks = results['gt_masks']  # no copy when every instance is kept
                    inst.masks = torch.from_numpy(np.ascontiguousarray(masks) if keep.all()
                                                  else masks[keep])
                setattr(sample, field, inst)
        if 'gt_seg_map' in results:
            sample.gt_sem_seg = PixelData(
                sem_seg=torch.from_numpy(np.ascontiguousarray(results['gt_seg_map'])[None]))
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)


def channels_first(img: np.ndarray) -> np.ndarray:
    """An (H, W[, C]) image as a contiguous (C, H, W) array: 2-4 uint8 channels by OpenCV's
    split into the planes (4x faster than numpy's transposing copy), others by numpy."""
    if img.ndim == 2:
        img = img[..., None]
    out = np.empty((img.shape[2], *img.shape[:2]), dtype=img.dtype)
    if img.dtype == np.uint8 and 2 <= img.shape[2] <= 4 and img.size:
        planes = list(out)
        for plane, result in zip(planes, cv2.split(img, planes)):
            if not np.may_share_memory(plane, result):
                plane[...] = result
    else:
        out[...] = img.transpose(2, 0, 1)
    return out
