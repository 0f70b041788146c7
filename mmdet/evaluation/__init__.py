from .lvis_metric import LVISMetric, encode_masks, masks_as_rles
from .sharded_metric import ShardedMetric

__all__ = ['LVISMetric', 'ShardedMetric', 'encode_masks', 'masks_as_rles']
