from .convfc_bbox_head import Shared2FCBBoxHead

__all__ = ['Shared2FCBBoxHead']
