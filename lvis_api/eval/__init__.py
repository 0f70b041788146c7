"""LVIS evaluation (``LVISEval``), COCO evaluation (``COCOEval``), their parameters,
bins and training counts."""
from .bins import DEFAULT_BIN_EDGES, load_train_counts
from .coco_eval import COCOEval, COCOParams
from .evaluator import AP_FIXED_DETS_PER_CAT, LVISEval
from .params import Params

__all__ = ['LVISEval', 'COCOEval', 'COCOParams', 'Params', 'DEFAULT_BIN_EDGES', 'AP_FIXED_DETS_PER_CAT',
           'load_train_counts']
