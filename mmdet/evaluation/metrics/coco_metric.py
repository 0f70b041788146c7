"""COCO metric for the runner: :class:`LVISMetric`'s machinery (result shards, streamed
result files, per-category tables, training-count bins) scored with COCO's rules."""
from typing import Dict, Optional

from lvis_api import LVIS, COCOEval
from mmdet.registry import METRICS
from .lvis_detections import DetectionColumns
from .lvis_metric import LVISMetric


@METRICS.register_module()
class CocoMetric(LVISMetric):
    """COCO AP (bbox and/or segm) of COCO-format ground truth, equal to pycocotools'
    ``COCOeval`` (``lvis_api.COCOEval``): every image x category pair evaluated, crowd
    regions ignored, up to 100 detections per image and class; AR@1/10/100. Given
    ``train_ann_file``, AP1..AP4 and bAP by training instance count over ``bin_edges``
    (COCO-LT: ``(1, 20, 400, 8000)``).

    Arguments are :class:`LVISMetric`'s. Results are named ``coco/{bbox,segm}_AP``,
    ``..._AP50``, ``..._AR@100``, ``..._AP1`` and so on.
    """

    default_prefix: Optional[str] = 'coco'

    def _check_evaluable(self, gt: LVIS) -> None:
        """COCO needs no per-image fields: every image is exhaustively annotated."""

    def _evaluator(self, columns: DetectionColumns, metric: str,
                   train_counts: Optional[Dict[int, int]]) -> COCOEval:
        return COCOEval(self._gt, columns.coco_results(self._gt, metric), metric,
                        train_counts=train_counts, bin_edges=self.bin_edges)
