from .assign_result import AssignResult
from .base_assigner import BaseAssigner
from .iou2d_calculator import BboxOverlaps2D
from .max_iou_assigner import MaxIoUAssigner

__all__ = ['AssignResult', 'BaseAssigner', 'BboxOverlaps2D', 'MaxIoUAssigner']
