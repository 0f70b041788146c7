"""Our LVIS API: annotations, results and an evaluator exact to the official ``lvis``
package (0.5.3 and the lvis-api master fixes), and much faster.

Switch from the official API by changing the import::

    from lvis_api import LVIS, LVISResults, LVISEval

COCO-format sets (e.g. COCO-LT) are evaluated with pycocotools' rules by ``COCOEval``.
"""
from .errors import LVISFormatError
from .eval import COCOEval, DEFAULT_BIN_EDGES, LVISEval, Params, load_train_counts
from .frequency import frequency_of_image_count
from .lvis import FREQUENCY_LABELS, LVIS
from .results import LVISResults

__all__ = ['LVIS', 'LVISResults', 'LVISEval', 'COCOEval', 'Params', 'LVISFormatError',
           'DEFAULT_BIN_EDGES', 'load_train_counts', 'FREQUENCY_LABELS',
           'frequency_of_image_count']
