from .bbox_heads import Shared2FCBBoxHead
from .mask_heads import FCNMaskHead
from .roi_extractors import SingleRoIExtractor
from .standard_roi_head import StandardRoIHead

__all__ = ['Shared2FCBBoxHead', 'FCNMaskHead', 'SingleRoIExtractor', 'StandardRoIHead']
