from .fold_norm import fold_norm_into_conv
from .nms import (batched_nms, class_nms, multiclass_nms, nms_iou_threshold,
                  score_candidates)

__all__ = ['batched_nms', 'class_nms', 'fold_norm_into_conv', 'multiclass_nms', 'nms_iou_threshold',
           'score_candidates']
