from .metrics import CocoMetric, DumpDetResults, LVISMetric, ShardedMetric

__all__ = ['CocoMetric', 'DumpDetResults', 'LVISMetric', 'ShardedMetric']
