"""LVISMetric's per-image results as LVIS detections, gathered image by image: numpy
columns for ``lvis_api.LVISResults.from_columns`` and the LVIS JSON result files,
written as streams. No dict per detection is kept.

A per-image result is ``dict(img_id, bboxes (N, 4) xywh, scores (N,), labels (N,)
0-based, masks: N compressed RLEs with str counts, for segm)``.
"""
import json
from typing import IO, Callable, Dict, List, Sequence

import numpy as np

from lvis_api import LVIS, LVISResults
from lvis_api.results import SegmentationColumnBuilder
from mmdet.utils.io import atomic_write


def rounded_boxes(boxes: np.ndarray) -> List[List[float]]:
    """Boxes rounded to 3 decimals as in the result files (Python's exact ``round``)."""
    return [[round(v, 3) for v in box] for box in np.asarray(boxes, np.float64).tolist()]


def json_detections(result: dict, boxes: List[List[float]], cat_ids: Sequence[int],
                    metrics: Sequence[str]) -> Dict[str, List[dict]]:
    """One image's entries of each result file (``metrics``: 'bbox' and/or 'segm')."""
    img_id = int(result['img_id'])
    labels, scores = np.asarray(result['labels']).tolist(), np.asarray(result['scores']).tolist()
    dets = [dict(image_id=img_id, category_id=cat_ids[label], bbox=box, score=score)
            for label, box, score in zip(labels, boxes, scores)]
    out = {}
    if 'bbox' in metrics:
        out['bbox'] = dets
    if 'segm' in metrics:
        out['segm'] = [dict(det, segmentation=mask) for det, mask in zip(dets, result['masks'])]
    return out


_EMPTY = dict(image_ids=np.zeros(0, np.int64), category_ids=np.zeros(0, np.int64),
              scores=np.zeros(0), bboxes=np.zeros((0, 4)))


class DetectionColumns:
    """Detections of image after image as columns (image id, category id, score, box and,
    ``with_masks``, a compact RLE column)."""

    def __init__(self, cat_ids: Sequence[int], with_masks: bool):
        self._cat_ids = np.asarray(cat_ids, np.int64)
        self._chunks: Dict[str, List[np.ndarray]] = dict(
            image_ids=[], category_ids=[], scores=[], bboxes=[])
        self._masks = SegmentationColumnBuilder() if with_masks else None
        self._segmentations = None
        self.num_images = 0

    def add(self, result: dict, boxes: List[List[float]]) -> None:
        """One image: its result and its boxes as :func:`rounded_boxes` gives them."""
        scores = np.asarray(result['scores'], np.float64)
        self._chunks['image_ids'].append(np.full(len(scores), int(result['img_id']), np.int64))
        self._chunks['category_ids'].append(
            self._cat_ids[np.asarray(result['labels'], np.int64)])
        self._chunks['scores'].append(scores)
        self._chunks['bboxes'].append(np.array(boxes, np.float64).reshape(-1, 4))
        if self._masks is not None:
            self._masks.extend(result['masks'])
        self.num_images += 1

    def lvis_results(self, gt: LVIS, iou_type: str, max_dets: int = 300) -> LVISResults:
        """The detections for ``iou_type`` ('bbox': boxes only, 'segm': with masks), at
        most ``max_dets`` per image (LVIS's rule; -1: all)."""
        for name, chunks in self._chunks.items():
            if len(chunks) != 1:  # concatenated once, then shared by both iou types
                chunks[:] = [np.concatenate(chunks) if chunks else _EMPTY[name]]
        segmentations = None
        if iou_type == 'segm':
            if self._masks is None:
                raise ValueError('segm results need DetectionColumns(with_masks=True)')
            if self._segmentations is None:
                self._segmentations = self._masks.build()
            segmentations = self._segmentations
        columns = {name: chunks[0] for name, chunks in self._chunks.items()}
        return LVISResults.from_columns(gt, segmentations=segmentations, max_dets=max_dets,
                                        **columns)

    def coco_results(self, gt: LVIS, iou_type: str) -> LVISResults:
        """All detections: COCO caps them per (image, category) while evaluating."""
        return self.lvis_results(gt, iou_type, max_dets=-1)


class JsonListWriter:
    """Writes a JSON list to a text file a few items at a time; the text is that of
    ``json.dumps`` of the whole list."""

    def __init__(self, f: IO[str]):
        self._f, self._empty = f, True
        f.write('[')

    def extend(self, items: List) -> None:
        if items:
            self._f.write(('' if self._empty else ', ') + json.dumps(items)[1:-1])
            self._empty = False

    def close(self) -> None:
        self._f.write(']')


def write_atomically(paths: Sequence[str], write: Callable[[List[IO[str]]], None]) -> None:
    """Call ``write(files)`` with a temporary text file per path; each is moved to its path
    once ``write`` returned (on an error, none is)."""
    def nest(opened: List[IO[str]], rest: Sequence[str]) -> None:
        if not rest:
            write(opened)
        else:
            atomic_write(rest[0], lambda f: nest(opened + [f], rest[1:]), mode='w')
    nest([], list(paths))
