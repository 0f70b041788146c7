from .base_bbox_coder import BaseBBoxCoder
from .delta_xywh_bbox_coder import DeltaXYWHBBoxCoder, bbox2delta, delta2bbox
from .legacy_delta_xywh_bbox_coder import LegacyDeltaXYWHBBoxCoder

__all__ = ['BaseBBoxCoder', 'DeltaXYWHBBoxCoder', 'LegacyDeltaXYWHBBoxCoder', 'bbox2delta',
           'delta2bbox']
