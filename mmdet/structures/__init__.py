from .bbox import (bbox2roi, bbox_overlaps, box_area, clip_boxes, flip_boxes,
                   rescale_boxes)
from .det_data_sample import DetDataSample, InstanceData
from .mask import RoIMasks, mask_targets

__all__ = ['bbox2roi', 'bbox_overlaps', 'box_area', 'clip_boxes', 'flip_boxes',
           'rescale_boxes', 'DetDataSample', 'InstanceData', 'mask_targets', 'RoIMasks']
