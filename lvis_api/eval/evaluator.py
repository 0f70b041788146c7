"""LVISEval: the official LVIS metrics, exact and fast, plus SimCal's per-category AP,
training-count bin APs and the fixed-AP protocol."""
import datetime
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..lvis import LVIS, AnnotationSource
from ..results import LVISResults, ResultsSource
from .bins import (DEFAULT_BIN_EDGES, TrainCountsSource, bin_names, bin_of_categories,
                   bin_ranges, load_train_counts)
from .kernels import evaluate_categories, set_num_threads
from .mask_iou import group_mask_ious
from .params import Params
from .problem import EvalProblem, build_problem
from .report import summary_lines, summary_table

# Dave et al. 2021, "Evaluating large-vocabulary detectors: the devil is in the details".
AP_FIXED_DETS_PER_CAT = 10000

logger = logging.getLogger(__name__)


class LVISEval:
    """LVIS evaluation with the official API: ``run()``, ``params``, ``eval``
    (``precision`` (T, R, K, A), ``recall`` (T, K, A)), ``results``, ``print_results()``.

    Extras: ``ap_fixed=True`` evaluates AP-fixed (up to 10,000 detections per category
    over the split, no per-image cap); ``train_counts`` (see :func:`load_train_counts`)
    adds the bin APs AP1.. and bAP to ``results``; :meth:`per_category_ap` and
    :meth:`compute_bin_ap` give them on demand. ``eval_imgs`` and ``dt_pointers`` of the
    official code are not materialised.
    """

    def __init__(self, lvis_gt: Union[LVIS, AnnotationSource],
                 lvis_dt: Union[LVISResults, ResultsSource], iou_type: str = 'segm', *,
                 ap_fixed: bool = False, train_counts: Optional[TrainCountsSource] = None,
                 bin_edges: Sequence[float] = DEFAULT_BIN_EDGES,
                 num_threads: Optional[int] = None):
        if iou_type not in ('bbox', 'segm'):
            raise ValueError(f'iou_type: {iou_type} is not supported.')
        self.lvis_gt = lvis_gt if isinstance(lvis_gt, LVIS) else LVIS(lvis_gt)
        max_dets, max_dets_per_cat = (-1, AP_FIXED_DETS_PER_CAT) if ap_fixed else (300, -1)
        if isinstance(lvis_dt, LVISResults):
            caps = (lvis_dt.max_dets, lvis_dt.max_dets_per_cat)
            if ap_fixed and caps != (-1, AP_FIXED_DETS_PER_CAT):
                raise ValueError('ap_fixed needs LVISResults(..., max_dets=-1, '
                                 f'max_dets_per_cat={AP_FIXED_DETS_PER_CAT})')
            self.lvis_dt = lvis_dt
        else:
            self.lvis_dt = LVISResults(self.lvis_gt, lvis_dt, max_dets=max_dets,
                                       max_dets_per_cat=max_dets_per_cat)
        self.params = Params(iou_type)
        self.params.max_dets, self.params.max_dets_per_cat = max_dets, max_dets_per_cat
        self.params.img_ids = self.lvis_gt.get_img_ids()
        self.params.cat_ids = self.lvis_gt.get_cat_ids()
        self.train_counts = load_train_counts(train_counts) if train_counts is not None else None
        self.bin_edges = tuple(bin_edges)
        self.num_threads = num_threads
        self.problem: Optional[EvalProblem] = None
        self.freq_groups: List[List[int]] = []
        self.eval: Dict = {}
        self.results: 'OrderedDict[str, float]' = OrderedDict()

    # ------------------------------------------------------------- pipeline
    def evaluate(self) -> None:
        """Select, filter and group ground truth and detections (and mask IoUs)."""
        if self.params.use_cats != 1:
            raise ValueError('category-agnostic evaluation (params.use_cats=0) is not supported')
        logger.info('Evaluate annotation type *%s*', self.params.iou_type)
        self.problem = self._build_problem(self.lvis_gt, self.lvis_dt, self.params)
        if self.params.iou_type == 'segm':
            self._ious, self._iou_offsets = group_mask_ious(self.problem, self.lvis_gt,
                                                            self.lvis_dt)
        else:
            self._ious = np.zeros(0)
            self._iou_offsets = np.zeros(len(self.problem.group_cat), np.int64)
        self.freq_groups = self._prepare_freq_groups()

    _build_problem = staticmethod(build_problem)

    def _max_dets_caps(self) -> np.ndarray:
        """Caps on the detections per (category, image), one accumulation each (LVIS
        caps per image when loading the results: none here)."""
        return np.array([-1], np.int64)

    def accumulate(self) -> None:
        """Match and accumulate into ``eval['precision']`` and ``eval['recall']``."""
        if self.problem is None:
            raise RuntimeError('Please run evaluate() first.')
        p, prob = self.params, self.problem
        num_thrs, num_recalls = len(p.iou_thrs), len(p.rec_thrs)
        num_cats, num_areas = prob.num_cats, len(p.area_rng)
        caps = self._max_dets_caps()
        precision = -np.ones((num_thrs, num_recalls, num_cats, num_areas, len(caps)))
        recall = -np.ones((num_thrs, num_cats, num_areas, len(caps)))
        area_rng = np.asarray(p.area_rng, dtype=np.float64).reshape(num_areas, 2)
        if self.num_threads:
            set_num_threads(self.num_threads)
        evaluate_categories(
            prob.cat_group_start, prob.cat_group_end, prob.group_gt_start, prob.group_gt_end,
            prob.group_dt_start, prob.group_dt_end, self._iou_offsets, self._ious,
            p.iou_type == 'bbox',
            prob.gt_boxes, prob.gt_ignore, prob.gt_crowd, prob.gt_areas, prob.gt_id_nonzero,
            prob.dt_boxes, prob.dt_areas, prob.dt_scores, prob.dt_not_exhaustive,
            prob.dt_rank, area_rng[:, 0].copy(), area_rng[:, 1].copy(),
            np.asarray(p.iou_thrs, dtype=np.float64), np.asarray(p.rec_thrs, dtype=np.float64),
            caps, precision, recall)
        self.eval = self._eval_record(precision, recall)

    def _eval_record(self, precision: np.ndarray, recall: np.ndarray) -> Dict:
        """The official ``eval`` dict: (T, R, K, A) precision and (T, K, A) recall."""
        return {
            'params': self.params,
            'counts': list(precision.shape[:4]),
            'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S'),
            'precision': np.ascontiguousarray(precision[..., 0]),
            'recall': np.ascontiguousarray(recall[..., 0]),
        }

    def _arrays(self, max_dets: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """(precision (T, R, K, A), recall (T, K, A)) of the summaries."""
        return self.eval['precision'], self.eval['recall']

    def summarize(self) -> None:
        if not self.eval:
            raise RuntimeError('Please run accumulate() first.')
        r = self.results
        r['AP'] = self._summarize('ap')
        r['AP50'] = self._summarize('ap', iou_thr=0.50)
        r['AP75'] = self._summarize('ap', iou_thr=0.75)
        r['APs'] = self._summarize('ap', area_rng='small')
        r['APm'] = self._summarize('ap', area_rng='medium')
        r['APl'] = self._summarize('ap', area_rng='large')
        r['APr'] = self._summarize('ap', freq_group_idx=0)
        r['APc'] = self._summarize('ap', freq_group_idx=1)
        r['APf'] = self._summarize('ap', freq_group_idx=2)
        suffix = self.params.max_dets_label
        r[f'AR@{suffix}'] = self._summarize('ar')
        for area_rng in ('small', 'medium', 'large'):
            r[f'AR{area_rng[0]}@{suffix}'] = self._summarize('ar', area_rng=area_rng)
        if self.train_counts is not None:
            r.update(self.compute_bin_ap(self.train_counts, self.bin_edges))

    def run(self) -> None:
        self.evaluate()
        self.accumulate()
        self.summarize()

    def get_results(self) -> 'OrderedDict[str, float]':
        if not self.results:
            logger.warning('results is empty. Call run().')
        return self.results

    # ------------------------------------------------------------- summaries
    def _prepare_freq_groups(self) -> List[List[int]]:
        """Indices into ``params.cat_ids`` per frequency label (categories without a
        known ``frequency`` are in no group)."""
        groups: List[List[int]] = [[] for _ in self.params.img_count_lbl]
        for idx, cat in enumerate(self.lvis_gt.load_cats(self.params.cat_ids)):
            if cat.get('frequency') in self.params.img_count_lbl:
                groups[self.params.img_count_lbl.index(cat['frequency'])].append(idx)
        return groups

    def _summarize(self, summary_type: str, iou_thr: Optional[float] = None,
                   area_rng: str = 'all', freq_group_idx: Optional[int] = None,
                   cat_idx: Optional[Sequence[int]] = None,
                   max_dets: Optional[int] = None) -> float:
        """Mean of the precision ('ap') or recall ('ar') entries > -1, as officially."""
        aidx = [i for i, lbl in enumerate(self.params.area_rng_lbl) if lbl == area_rng]
        if freq_group_idx is not None:
            cat_idx = self.freq_groups[freq_group_idx]
        precision, recall = self._arrays(max_dets)
        if summary_type == 'ap':
            s = precision
            if iou_thr is not None:
                s = s[np.where(iou_thr == self.params.iou_thrs)[0]]
            s = s[:, :, cat_idx, aidx] if cat_idx is not None else s[:, :, :, aidx]
        else:
            s = recall
            if iou_thr is not None:
                s = s[np.where(iou_thr == self.params.iou_thrs)[0]]
            s = s[:, :, aidx]
        valid = s[s > -1]
        return float(np.mean(valid)) if len(valid) else -1.0

    def per_category_ap(self) -> 'OrderedDict[int, float]':
        """AP of each category id: mean of its precision entries > -1 over IoUs and recall
        points, area all; -1 for a category without ground truth in the split."""
        if not self.eval:
            raise RuntimeError('Please run accumulate() first.')
        prec = self._arrays()[0][:, :, :, self.params.area_rng_lbl.index('all')]
        valid = prec > -1
        counts = valid.sum(axis=(0, 1))
        sums = np.where(valid, prec, 0.0).sum(axis=(0, 1))
        aps = np.where(counts > 0, sums / np.maximum(counts, 1), -1.0)
        return OrderedDict(zip(self.params.cat_ids, aps.tolist()))

    def compute_bin_ap(self, train_counts: Optional[TrainCountsSource] = None,
                       edges: Sequence[float] = DEFAULT_BIN_EDGES) -> 'OrderedDict[str, float]':
        """AP1.. over bins of training instance count ``[e0,e1), ..., [e_last,inf)``
        (categories with ground truth in the split) and bAP, the mean of the non-empty
        bins; an empty bin is -1."""
        if not self.eval:
            raise RuntimeError('Please run accumulate() first.')
        counts = self.train_counts if train_counts is None else load_train_counts(train_counts)
        if counts is None:
            raise ValueError('no training counts: pass train_counts')
        bins = bin_of_categories(self.params.cat_ids, counts, edges)
        out: 'OrderedDict[str, float]' = OrderedDict()
        for b, name in enumerate(bin_names(edges)):
            out[name] = self._summarize('ap', cat_idx=np.flatnonzero(bins == b).tolist())
        present = [v for v in out.values() if v > -1]
        out['bAP'] = float(np.mean(present)) if present else -1.0
        return out

    # -------------------------------------------------------------- printing
    def _bin_ranges(self) -> Dict[str, str]:
        return dict(zip(bin_names(self.bin_edges), bin_ranges(self.bin_edges)))

    def print_results(self) -> None:
        for line in summary_lines(self.results, self.params, self._bin_ranges()):
            print(line)

    def summary_table(self, title: str = '') -> str:
        """The results as a terminaltables table."""
        return summary_table(self.results, self.params, self._bin_ranges(), title)
