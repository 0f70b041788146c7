"""LVIS metric for the runner: per-rank result shards on disk, merged on rank 0 into
numpy columns and scored by lvis_api."""
import csv
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.logging import MMLogger

from lvis_api import DEFAULT_BIN_EDGES, LVIS, LVISEval, LVISFormatError, load_train_counts
from lvis_api._json import load_json
from lvis_api.lvis import COUNT_KINDS
from lvis_api.eval.bins import bin_names, bin_of_categories
from mmdet.registry import METRICS
from mmdet.utils.io import atomic_write
from mmdet.utils.threads import torch_thread_count_kept
from .lvis_detections import (DetectionColumns, JsonListWriter, json_detections,
                              rounded_boxes, write_atomically)
from .sharded_metric import ShardedMetric

CLASSWISE_COLUMNS = ('category_id', 'name', 'frequency', 'train_instances', 'bin', 'AP')


_TRAIN_COUNTS: Dict[tuple, Union[Dict[int, int], Exception]] = {}


def train_counts_of(ann_file: str, by: str = 'instance') -> Dict[int, int]:
    """:func:`lvis_api.load_train_counts` of a file (instances, or ``by='image'``
    images), read once per process and kind while the file is unchanged: the evaluators
    of one test (e.g. one per mode), NorCal's scoring and the validations of a training
    run share it. Nothing is written to disk."""
    if by not in COUNT_KINDS:
        raise ValueError(f'training counts are by one of {COUNT_KINDS}, got {by!r}')
    stat = os.stat(ann_file)
    key = (osp.abspath(ann_file), stat.st_size, stat.st_mtime_ns, by)
    if key not in _TRAIN_COUNTS:
        _TRAIN_COUNTS.clear()  # one training file at a time, parsed once for both kinds
        data = load_json(ann_file)
        for kind in COUNT_KINDS:  # a kind the file cannot give fails when asked for
            try:
                counts = load_train_counts(data, kind, name=ann_file)
            except LVISFormatError as err:
                counts = err
            _TRAIN_COUNTS[key[:3] + (kind,)] = counts
    counts = _TRAIN_COUNTS[key]
    if isinstance(counts, Exception):
        raise counts
    return counts


def _as_numpy(value) -> np.ndarray:
    return value.cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@METRICS.register_module()
class LVISMetric(ShardedMetric):
    """LVIS AP (bbox and/or segm) with APr/APc/APf and, given training counts, SimCal's
    AP1..AP4 by training instance count and bAP.

    Each image's compact result goes to this rank's shard file (``ShardedMetric``); rank
    0 reads the shards back image by image into numpy columns for ``lvis_api`` and, with
    an ``outfile_prefix``, streams the LVIS JSON result files: no dict per detection.

    Args:
        ann_file: the evaluated split's LVIS annotation file.
        metric: 'bbox', 'segm' or both.
        train_ann_file: training annotation file whose instance counts define the bins.
        bin_edges: lower edges of the count bins.
        classwise: also write each category's AP (with its frequency group, training
            count and bin) to ``{classwise_dir}/per_class_ap[.{prefix}].{metric}.csv``.
        classwise_dir: folder of the per-category tables (tools set the work dir).
        format_only: only write ``{outfile_prefix}.{bbox,segm}.json`` in LVIS format.
        outfile_prefix: where to write result files (also when evaluating).
        pred_field: the sample field holding the predictions.
        shard_dir: folder of the per-rank result shards, seen by every rank (None: a
            temporary folder per rank); the shards are deleted after evaluation.
        rescue_dir: where the results go if the evaluation fails (see ShardedMetric).

    :meth:`check_inputs` (called by ``RunChecksHook`` before the first image) loads
    the annotation files and checks they can be evaluated for the model's classes.
    """

    default_prefix: Optional[str] = 'lvis'

    def __init__(self, ann_file: str, metric: Union[str, Sequence[str]] = ('bbox', 'segm'),
                 train_ann_file: Optional[str] = None,
                 bin_edges: Sequence[float] = DEFAULT_BIN_EDGES, classwise: bool = False,
                 classwise_dir: Optional[str] = None, format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 pred_field: str = 'pred_instances', shard_dir: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 rescue_dir: Optional[str] = None):
        super().__init__(shard_dir=shard_dir, collect_device=collect_device, prefix=prefix,
                         rescue_dir=rescue_dir)
        self.metrics = [metric] if isinstance(metric, str) else list(dict.fromkeys(metric))
        for m in self.metrics:
            if m not in ('bbox', 'segm'):
                raise KeyError(f"metric must be 'bbox' or 'segm', got {m!r}")
        if classwise and classwise_dir is None:
            raise ValueError('classwise=True needs classwise_dir, the folder of the '
                             'per-category AP tables (tools/test.py gives the work dir)')
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs an outfile_prefix for the result files')
        self.ann_file = ann_file
        self.train_ann_file = train_ann_file
        self.bin_edges = tuple(bin_edges)
        self.classwise = classwise
        self.classwise_dir = classwise_dir
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.pred_field = pred_field
        self._gt: Optional[LVIS] = None

    def check_inputs(self, dataset_meta: Optional[dict], num_classes: Optional[int]) -> None:
        """Before the pass: the ground truth loads, has the LVIS fields the evaluation
        reads and one category per class of the model; the training file (bins, T) loads
        and has the same categories."""
        gt = self._load_gt()
        if self.format_only:
            return
        self._check_evaluable(gt)
        cat_ids = gt.get_cat_ids()
        if num_classes is not None and num_classes != len(cat_ids):
            raise ValueError(f'{self.ann_file} has {len(cat_ids)} categories, the model '
                             f'predicts {num_classes} classes: they cannot be evaluated '
                             'against each other (model.roi_head.bbox_head.num_classes)')
        meta_ids = (dataset_meta or {}).get('cat_ids')
        if meta_ids is not None and list(meta_ids) != cat_ids:
            raise ValueError(f'the evaluated dataset\'s categories differ from those of '
                             f'{self.ann_file} (the metric\'s ann_file)')
        if self.train_ann_file is not None:
            unknown = set(train_counts_of(self.train_ann_file)) ^ set(cat_ids)
            if unknown:
                raise ValueError(f'{self.train_ann_file} (train_ann_file, for the count bins) '
                                 f'and {self.ann_file} have different categories, e.g. id '
                                 f'{sorted(unknown)[0]}')

    def _check_evaluable(self, gt: LVIS) -> None:
        gt.check_evaluable()

    def _evaluator(self, columns: DetectionColumns, metric: str,
                   train_counts: Optional[Dict[int, int]]) -> LVISEval:
        return LVISEval(self._gt, columns.lvis_results(self._gt, metric), metric,
                        train_counts=train_counts, bin_edges=self.bin_edges)

    # ----------------------------------------------------------------- per batch
    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Shard compact per-image results: xywh boxes, scores, labels and RLE masks."""
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
                if not hasattr(masks, 'to_rle'):
                    raise TypeError(f'{self.pred_field}.masks is a {type(masks).__name__}; '
                                    'predicted masks are mmdet.structures.RoIMasks')
                result['masks'] = masks.to_rle()
            self.add_result(result)

    # ------------------------------------------------------------------ rank 0
    def gather_detections(self, results: Iterable[dict]) -> DetectionColumns:
        """Columns of all results (none with ``format_only``); with an
        ``outfile_prefix``, also the result files (written as streams, each moved into
        place once complete)."""
        cat_ids = self._load_gt().get_cat_ids()
        columns = DetectionColumns(cat_ids, with_masks='segm' in self.metrics)
        paths = ([f'{self.outfile_prefix}.{m}.json' for m in self.metrics]
                 if self.outfile_prefix is not None else [])

        def gather(files) -> None:
            writers = dict(zip(self.metrics, map(JsonListWriter, files)))
            for result in results:
                boxes = rounded_boxes(result['bboxes'])
                if not self.format_only:
                    columns.add(result, boxes)
                if writers:
                    for metric, dets in json_detections(result, boxes, cat_ids,
                                                        self.metrics).items():
                        writers[metric].extend(dets)
            for writer in writers.values():
                writer.close()
        write_atomically(paths, gather)
        logger = MMLogger.get_current_instance()
        for metric, path in zip(self.metrics, paths):
            logger.info(f'{metric} results written to {osp.abspath(path)}')
        return columns

    def compute_metrics(self, results: Iterable[dict]) -> Dict[str, float]:
        columns = self.gather_detections(results)
        if self.format_only:
            return OrderedDict()
        train_counts = (train_counts_of(self.train_ann_file)
                        if self.train_ann_file is not None else None)
        logger = MMLogger.get_current_instance()
        metrics = OrderedDict()
        for metric in self.metrics:
            evaluator = self._evaluator(columns, metric, train_counts)
            with torch_thread_count_kept(match_numba=False):  # its own thread count
                evaluator.run()
            logger.info('\n' + evaluator.summary_table(
                f'{metric} ({columns.num_images} images)'))
            for key, value in evaluator.results.items():
                metrics[f'{metric}_{key}'] = float(value)
            if self.classwise:
                self._write_classwise(metric, evaluator.per_category_ap(), train_counts)
        return metrics

    def _write_classwise(self, metric: str, aps: Dict[int, float],
                         train_counts: Optional[Dict[int, int]]) -> None:
        """The per-category table: a CSV row per category of the evaluated split."""
        cats = self._gt.cats
        ids = list(aps)
        bins = (bin_of_categories(ids, train_counts, self.bin_edges) if train_counts
                else None)
        names = bin_names(self.bin_edges)
        rows = []
        for i, cat_id in enumerate(ids):
            count = train_counts.get(cat_id, 0) if train_counts else ''
            label = names[bins[i]] if bins is not None and bins[i] >= 0 else ''
            rows.append((cat_id, cats[cat_id].get('name', ''), cats[cat_id].get('frequency', ''),
                         count, label, '' if aps[cat_id] < 0 else f'{aps[cat_id]:.6f}'))
        mode = f'.{self.prefix}' if self.prefix and self.prefix != self.default_prefix else ''
        path = osp.join(self.classwise_dir, f'per_class_ap{mode}.{metric}.csv')

        def write(f) -> None:
            writer = csv.writer(f)
            writer.writerow(CLASSWISE_COLUMNS)
            writer.writerows(rows)
        atomic_write(path, write, mode='w')
        MMLogger.get_current_instance().info(f'{metric} AP per category written to {path}')

    def _load_gt(self) -> LVIS:
        if self._gt is None:
            self._gt = LVIS(self.ann_file)
        return self._gt
