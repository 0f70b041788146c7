from .coco_metric import CocoMetric
from .dump_det_results import DumpDetResults
from .lvis_metric import LVISMetric
from .sharded_metric import ShardedMetric

__all__ = ['CocoMetric', 'DumpDetResults', 'LVISMetric', 'ShardedMetric']
