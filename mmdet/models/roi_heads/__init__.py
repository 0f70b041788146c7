from .bbox_heads import Shared2FCBBoxHead
from .cascade_roi_head import CascadeRoIHead
from .htc_roi_head import HybridTaskCascadeRoIHead
from .mask_heads import FCNMaskHead
from .roi_extractors import SingleRoIExtractor
from .standard_roi_head import StandardRoIHead

__all__ = ['CascadeRoIHead', 'HybridTaskCascadeRoIHead', 'Shared2FCBBoxHead', 'FCNMaskHead', 'SingleRoIExtractor', 'StandardRoIHead']
