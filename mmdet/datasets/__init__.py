from . import samplers, transforms  # noqa: F401
from .lvis import CocoDataset, LVISDataset
from .statistics import SplitStatistics

__all__ = ['CocoDataset', 'LVISDataset', 'SplitStatistics']
