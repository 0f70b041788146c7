"""LVIS metric for the runner: per-rank results, merged on rank 0, scored by lvis_api."""
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from pycocotools import mask as mask_utils

from lvis_api import DEFAULT_BIN_EDGES, LVIS, LVISEval, LVISResults
from mmdet.datasets.statistics import SplitStatistics
from mmdet.registry import METRICS
from mmdet.utils.io import atomic_write_text

SUMMARY_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'APr', 'APc', 'APf')


def encode_masks(masks: Union[torch.Tensor, np.ndarray]) -> List[dict]:
    """Compressed RLEs (JSON-ready: ``counts`` as str) of (N, H, W) binary masks."""
    masks = masks.cpu().numpy() if isinstance(masks, torch.Tensor) else masks
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


def _json_ready_rle(rle: dict) -> dict:
    """An RLE with ``bytes`` counts (as pycocotools encodes them) gets ``str`` counts, so
    that result files can be written as JSON."""
    if isinstance(rle, dict) and isinstance(rle.get('counts'), bytes):
        return dict(rle, counts=rle['counts'].decode('ascii'))
    return rle


def _as_numpy(value) -> np.ndarray:
    return value.cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@METRICS.register_module()
class LVISMetric(BaseMetric):
    """LVIS AP (bbox and/or segm) with APr/APc/APf and, given training counts, SimCal's
    AP1..AP4 by training instance count and bAP.

    Args:
        ann_file: the evaluated split's LVIS annotation file.
        metric: 'bbox', 'segm' or both.
        train_ann_file: training annotation file whose instance counts define the bins.
        bin_edges: lower edges of the count bins.
        classwise: also log per-category AP.
        format_only: only write ``{outfile_prefix}.{bbox,segm}.json`` in LVIS format.
        outfile_prefix: where to write result files (also when evaluating).
        pred_field: the sample field holding the predictions.
    """

    default_prefix: Optional[str] = 'lvis'

    def __init__(self, ann_file: str, metric: Union[str, Sequence[str]] = ('bbox', 'segm'),
                 train_ann_file: Optional[str] = None,
                 bin_edges: Sequence[float] = DEFAULT_BIN_EDGES, classwise: bool = False,
                 format_only: bool = False, outfile_prefix: Optional[str] = None,
                 pred_field: str = 'pred_instances', collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metrics = [metric] if isinstance(metric, str) else list(metric)
        for m in self.metrics:
            if m not in ('bbox', 'segm'):
                raise KeyError(f"metric must be 'bbox' or 'segm', got {m!r}")
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs an outfile_prefix for the result files')
        self.ann_file = ann_file
        self.train_ann_file = train_ann_file
        self.bin_edges = tuple(bin_edges)
        self.classwise = classwise
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.pred_field = pred_field
        self._gt: Optional[LVIS] = None

    # ----------------------------------------------------------------- per batch
    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep compact per-image results: xywh boxes, scores, labels and RLE masks."""
        for sample in data_samples:
            pred = sample[self.pred_field]
            boxes = _as_numpy(pred['bboxes']).astype(np.float64).reshape(-1, 4)
            boxes[:, 2:] -= boxes[:, :2]
            result = dict(img_id=sample['img_id'], bboxes=boxes,
                          scores=_as_numpy(pred['scores']).astype(np.float64),
                          labels=_as_numpy(pred['labels']).astype(np.int64))
            if 'segm' in self.metrics:
                masks = pred.get('masks')
                if masks is None:
                    raise KeyError('segm evaluation needs predicted masks '
                                   f'({self.pred_field}.masks)')
                result['masks'] = ([_json_ready_rle(m) for m in masks] if isinstance(masks, list)
                                   else encode_masks(masks))
            self.results.append(result)

    # ------------------------------------------------------------------ rank 0
    def results_to_json(self, results: List[dict], cat_ids: Sequence[int]
                        ) -> Dict[str, List[dict]]:
        out = {m: [] for m in self.metrics}
        for res in results:
            for i in range(len(res['scores'])):
                det = dict(image_id=res['img_id'], category_id=cat_ids[res['labels'][i]],
                           bbox=[round(float(v), 3) for v in res['bboxes'][i]],
                           score=float(res['scores'][i]))
                if 'bbox' in out:
                    out['bbox'].append(det)
                if 'segm' in out:
                    out['segm'].append(dict(det, segmentation=res['masks'][i]))
        return out

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        if self._gt is None:
            self._gt = LVIS(self.ann_file)
        cat_ids = self._gt.get_cat_ids()
        detections = self.results_to_json(results, cat_ids)
        if self.outfile_prefix is not None:
            for metric, dets in detections.items():
                path = f'{self.outfile_prefix}.{metric}.json'
                atomic_write_text(path, json.dumps(dets))
                logger.info(f'{metric} results written to {osp.abspath(path)}')
        if self.format_only:
            return OrderedDict()
        train_counts = None
        if self.train_ann_file is not None:
            stats = SplitStatistics.from_annotation_file(self.train_ann_file)
            train_counts = stats.instance_count_by_cat_id
        metrics = OrderedDict()
        for metric, dets in detections.items():
            evaluator = LVISEval(self._gt, LVISResults(self._gt, dets), metric,
                                 train_counts=train_counts, bin_edges=self.bin_edges)
            evaluator.run()
            logger.info('\n' + evaluator.summary_table(f'{metric} ({len(results)} images)'))
            for key, value in evaluator.results.items():
                metrics[f'{metric}_{key}'] = float(value)
            if self.classwise:
                names = {c['id']: c['name'] for c in self._gt.load_cats(None)}
                for cat_id, ap in evaluator.per_category_ap().items():
                    if ap > -1:
                        metrics[f'{metric}_AP_{names[cat_id]}'] = float(ap)
        return metrics
