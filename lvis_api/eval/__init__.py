"""LVIS evaluation: ``LVISEval`` and its parameters, bins and training counts."""
from .bins import DEFAULT_BIN_EDGES, load_train_counts
from .evaluator import AP_FIXED_DETS_PER_CAT, LVISEval
from .params import Params

__all__ = ['LVISEval', 'Params', 'DEFAULT_BIN_EDGES', 'AP_FIXED_DETS_PER_CAT',
           'load_train_counts']
