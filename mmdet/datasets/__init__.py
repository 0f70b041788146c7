from . import samplers, transforms  # noqa: F401
from .lvis import CocoDataset, LVISDataset

__all__ = ['CocoDataset', 'LVISDataset']
