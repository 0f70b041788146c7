"""Long-tail instance segmentation toolbox (SimCal) on mmengine."""
__version__ = '0.1.0'
