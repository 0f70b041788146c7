from .lvis_metric import LVISMetric, encode_masks

__all__ = ['LVISMetric', 'encode_masks']
