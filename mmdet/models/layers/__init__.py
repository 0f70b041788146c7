from .nms import batched_nms, multiclass_nms, nms_iou_threshold

__all__ = ['batched_nms', 'multiclass_nms', 'nms_iou_threshold']
