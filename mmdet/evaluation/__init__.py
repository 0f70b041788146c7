from .metrics import DumpDetResults, LVISMetric, ShardedMetric

__all__ = ['DumpDetResults', 'LVISMetric', 'ShardedMetric']
