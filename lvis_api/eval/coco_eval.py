"""COCOEval: pycocotools' COCO evaluation on the same fast kernels, plus the training-
count bin APs (COCO-LT reports AP by bins of training instances, as SimCal does on LVIS).

COCO semantics differ from LVIS's in what is evaluated (see
:func:`~lvis_api.eval.problem.build_coco_problem`): every image x category pair counts
(no federated lists), ``iscrowd`` regions are ignored and match any number of
detections (IoU over the detection's area), and detections are capped per (image,
category) at 1, 10 and 100, each cap accumulated on its own. ``eval['precision']`` is
(T, R, K, A, M) and ``eval['recall']`` (T, K, A, M), as pycocotools gives them, and
``stats`` holds pycocotools' twelve summary numbers.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ..lvis import LVIS, AnnotationSource
from ..results import LVISResults, ResultsSource
from .bins import DEFAULT_BIN_EDGES, TrainCountsSource
from .evaluator import LVISEval
from .params import Params
from .problem import build_coco_problem

STATS_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR@1', 'AR@10', 'AR@100',
              'ARs@100', 'ARm@100', 'ARl@100')


class COCOParams(Params):
    """pycocotools' defaults: caps of 1, 10 and 100 detections per (image, category)
    and no frequency groups."""

    def __init__(self, iou_type: str):
        super().__init__(iou_type)
        self.max_dets = [1, 10, 100]
        self.img_count_lbl = []

    @property
    def max_dets_label(self) -> str:
        return str(self.max_dets[-1])


class COCOEval(LVISEval):
    """COCO evaluation of COCO-format ground truth (no LVIS fields needed), equal to
    pycocotools' ``COCOeval`` metric by metric; the interface is :class:`LVISEval`'s
    (``run()``, ``results``, ``per_category_ap()``, ``compute_bin_ap()``) with
    ``results`` keyed ``AP``, ``AP50``, ``AP75``, ``APs/m/l``, ``AR@1``, ``AR@10``,
    ``AR@100``, ``ARs/m/l@100`` and, with ``train_counts``, ``AP1..`` and ``bAP``."""

    _build_problem = staticmethod(build_coco_problem)

    def __init__(self, coco_gt: Union[LVIS, AnnotationSource],
                 coco_dt: Union[LVISResults, ResultsSource], iou_type: str = 'segm', *,
                 train_counts: Optional[TrainCountsSource] = None,
                 bin_edges: Sequence[float] = DEFAULT_BIN_EDGES,
                 num_threads: Optional[int] = None):
        gt = coco_gt if isinstance(coco_gt, LVIS) else LVIS(coco_gt)
        if isinstance(coco_dt, LVISResults):
            if coco_dt.max_dets != -1 or coco_dt.max_dets_per_cat != -1:
                raise ValueError('COCO evaluation caps detections per (image, category) '
                                 'itself: load the results with LVISResults(..., '
                                 'max_dets=-1)')
        else:
            coco_dt = LVISResults(gt, coco_dt, max_dets=-1)
        super().__init__(gt, coco_dt, iou_type, train_counts=train_counts,
                         bin_edges=bin_edges, num_threads=num_threads)
        self.params = COCOParams(iou_type)
        self.params.img_ids = gt.get_img_ids()
        self.params.cat_ids = gt.get_cat_ids()

    @property
    def stats(self) -> np.ndarray:
        """pycocotools' ``COCOeval.stats``: the twelve summary numbers in its order."""
        if not self.results:
            raise RuntimeError('Please run summarize() first.')
        return np.array([self.results[key] for key in STATS_KEYS])

    def _max_dets_caps(self) -> np.ndarray:
        caps = sorted(int(m) for m in self.params.max_dets)
        if caps != list(self.params.max_dets):
            raise ValueError(f'params.max_dets must be increasing, got {self.params.max_dets}')
        return np.asarray(caps, np.int64)

    def _eval_record(self, precision: np.ndarray, recall: np.ndarray) -> Dict:
        record = super()._eval_record(precision, recall)
        record.update(counts=list(precision.shape), precision=precision, recall=recall)
        return record

    def _arrays(self, max_dets: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        caps = list(self.params.max_dets)
        cap = caps[-1] if max_dets is None else max_dets
        if cap not in caps:
            raise ValueError(f'maxDets={cap} was not evaluated (params.max_dets={caps})')
        m = caps.index(cap)
        return self.eval['precision'][..., m], self.eval['recall'][..., m]

    def summarize(self) -> None:
        """pycocotools' ``summarize`` (AP at the largest cap, AR at each cap) and, given
        training counts, the bin APs."""
        if not self.eval:
            raise RuntimeError('Please run accumulate() first.')
        caps = self.params.max_dets
        top = caps[-1]
        r = self.results = OrderedDict()
        r['AP'] = self._summarize('ap', max_dets=top)
        r['AP50'] = self._summarize('ap', iou_thr=0.50, max_dets=top)
        r['AP75'] = self._summarize('ap', iou_thr=0.75, max_dets=top)
        for area_rng in ('small', 'medium', 'large'):
            r[f'AP{area_rng[0]}'] = self._summarize('ap', area_rng=area_rng, max_dets=top)
        for cap in caps:
            r[f'AR@{cap}'] = self._summarize('ar', max_dets=cap)
        for area_rng in ('small', 'medium', 'large'):
            r[f'AR{area_rng[0]}@{top}'] = self._summarize('ar', area_rng=area_rng,
                                                         max_dets=top)
        if self.train_counts is not None:
            r.update(self.compute_bin_ap(self.train_counts, self.bin_edges))
