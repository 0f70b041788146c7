from .bbox import (bbox2roi, bbox_overlaps, box_area, clip_boxes, flip_boxes,
                   rescale_boxes)
from .det_data_sample import DetDataSample, InstanceData
from .mask import mask_targets, paste_masks

__all__ = ['bbox2roi', 'bbox_overlaps', 'box_area', 'clip_boxes', 'flip_boxes',
           'rescale_boxes', 'DetDataSample', 'InstanceData', 'mask_targets', 'paste_masks']
