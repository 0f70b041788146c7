"""Detection results (boxes and/or masks) checked against the ground truth and kept as
columns.

The kept detections, their order and their ids (1, 2, ...) are those of the official
``lvis.LVISResults``: at most ``max_dets`` per image (images in order of first appearance,
an image over the cap sorted by score, ties in input order) and, for the fixed-AP protocol
of the lvis-api master, at most ``max_dets_per_cat`` per category.
"""
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import pycocotools.mask as mask_utils

from ._json import check_json_list_start, load_json
from ._results_scanner import (SEG_NONE, SEG_RAW, SEG_RLE, SegmentationColumn,
                               scan_results_file)
from .errors import LVISFormatError, describe
from .lvis import LVIS, AnnotationSource

ResultsSource = Union[str, 'os.PathLike[str]', List[Dict[str, Any]]]


class LVISResults:
    """Detections as columns: ``image_ids``, ``category_ids``, ``scores``, ``areas``,
    ``bboxes`` (x, y, w, h; ``None`` for mask-only results) and ``segmentations`` (one
    entry per detection, ``None`` where absent; the list itself is ``None`` if none has
    one).

    ``areas`` follow the official rule: box area when results carry boxes, mask area
    otherwise. Use ``max_dets=-1`` for no per-image cap.

    Results come as a list of detection dicts, a JSON result file, or columns
    (:meth:`from_columns`).
    """

    def __init__(self, lvis_gt: Union[LVIS, AnnotationSource], results: ResultsSource,
                 max_dets: int = 300, max_dets_per_cat: int = -1):
        is_path = isinstance(results, (str, os.PathLike))
        source = os.fspath(results) if is_path else '<results list>'
        self._keep_columns(lvis_gt, _read_columns(results, source), source, max_dets,
                           max_dets_per_cat)

    @classmethod
    def from_columns(cls, lvis_gt: Union[LVIS, AnnotationSource], image_ids: np.ndarray,
                     category_ids: np.ndarray, scores: np.ndarray,
                     bboxes: Optional[np.ndarray] = None,
                     segmentations: Optional[Sequence] = None, max_dets: int = 300,
                     max_dets_per_cat: int = -1) -> 'LVISResults':
        """Results given as columns, in the order of a result list: no dict per detection.

        ``bboxes`` are (N, 4) x, y, w, h; ``segmentations`` has one entry per detection
        (``None`` for none), e.g. a :class:`SegmentationColumnBuilder`'s column. Mask-only
        results (``bboxes=None``) need a segmentation on every detection. The checks and
        the kept set are those of a result list with the same values.
        """
        results = cls.__new__(cls)
        columns = _given_columns(image_ids, category_ids, scores, bboxes, segmentations)
        results._keep_columns(lvis_gt, columns, '<result columns>', max_dets, max_dets_per_cat)
        return results

    def _keep_columns(self, lvis_gt: Union[LVIS, AnnotationSource], columns: '_Columns',
                      source: str, max_dets: int, max_dets_per_cat: int) -> None:
        self.lvis_gt = lvis_gt if isinstance(lvis_gt, LVIS) else LVIS(lvis_gt)
        self.imgs, self.cats = self.lvis_gt.imgs, self.lvis_gt.cats
        self.max_dets, self.max_dets_per_cat = max_dets, max_dets_per_cat
        self.source = source
        image_pos, category_pos = _check_columns(columns, self.source, self.lvis_gt)
        keep = official_order(image_pos, category_pos, columns.scores, max_dets,
                              max_dets_per_cat)
        self.input_index = keep  # position of each kept detection in the input list
        # positions of the image and category ids in the sorted ground-truth ids
        self.image_index, self.category_index = image_pos[keep], category_pos[keep]
        self.image_ids = columns.image_ids[keep]
        self.category_ids = columns.category_ids[keep]
        self.scores = columns.scores[keep]
        self.bboxes = columns.bboxes[keep] if columns.bboxes is not None else None
        self.segmentations = _take(columns.segmentations, keep)
        self.ids = np.arange(1, len(keep) + 1, dtype=np.int64)
        if self.bboxes is not None:
            self.areas = self.bboxes[:, 2] * self.bboxes[:, 3]
        else:
            self.areas = self._mask_areas()
        self._img_index: Optional[Dict[int, np.ndarray]] = None
        if self.segmentations is not None:
            self._check_segmentations()

    def _check_segmentations(self) -> None:
        """Every segmentation decodes to a mask of its size (garbage or truncated RLE
        counts would otherwise give IoUs that mean nothing)."""
        from .eval.mask_iou import first_bad_segmentation
        try:
            row, problem = first_bad_segmentation(self)
        except Exception as err:  # a segmentation pycocotools cannot convert
            row, problem = self._unreadable_segmentation(), f'cannot be read ({err})'
        if row >= 0:
            raise LVISFormatError(
                f'{self.source}: results[{int(self.input_index[row])}] has a malformed '
                f'segmentation {describe(self.segmentations[row])}: {problem}')

    def _unreadable_segmentation(self) -> int:
        for i in range(len(self)):
            try:
                if self.segmentations[i] is not None:
                    self.segm_rle(i)
            except Exception:
                return i
        return 0

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def boxes(self) -> np.ndarray:
        """x, y, w, h of every detection; mask-only results use their mask's box."""
        if self.bboxes is None:
            rles = [self.segm_rle(i) for i in range(len(self))]
            self.bboxes = (mask_utils.toBbox(rles) if rles else np.zeros((0, 4))).astype(np.float64)
        return self.bboxes

    # ------------------------------------------------------------------ masks
    def segm_rle(self, index: int) -> dict:
        """Compressed RLE of detection ``index`` (a box becomes its rectangle polygon, as
        officially when a box result has no mask)."""
        segm = self.segmentations[index] if self.segmentations is not None else None
        if segm is None:
            x, y, w, h = self.bboxes[index].tolist()
            segm = [[x, y, x, y + h, x + w, y + h, x + w, y]]
        return self.lvis_gt.segm_to_rle(segm, int(self.image_ids[index]))

    def _mask_areas(self) -> np.ndarray:
        if len(self) == 0:
            return np.zeros(0, np.float64)
        try:
            rles = [self.segm_rle(i) for i in range(len(self))]
            # pycocotools' area() overflows (numpy >= 2) on lists longer than 255
            chunks = [mask_utils.area(rles[i:i + 255]) for i in range(0, len(rles), 255)]
            return np.concatenate(chunks).astype(np.float64)
        except Exception:  # locate the entry pycocotools could not read
            for i in range(len(self)):
                try:
                    mask_utils.area([self.segm_rle(i)])
                except Exception as err:
                    raise LVISFormatError(
                        f'{self.source}: results[{int(self.input_index[i])}] has a malformed '
                        f'segmentation {describe(self.segmentations[i])}: {err}') from None
            raise

    # ---------------------------------------------------- official-style queries
    def get_img_ids(self) -> List[int]:
        return self.lvis_gt.get_img_ids()

    def get_cat_ids(self) -> List[int]:
        return self.lvis_gt.get_cat_ids()

    def get_ann_ids(self, img_ids: Optional[Iterable[int]] = None,
                    cat_ids: Optional[Iterable[int]] = None,
                    area_rng: Optional[Sequence[float]] = None) -> List[int]:
        """Same meaning as :meth:`LVIS.get_ann_ids`, on the detections."""
        if img_ids is not None:
            index = self._image_index()
            empty = np.zeros(0, np.int64)
            rows = np.concatenate([index.get(i, empty) for i in img_ids] + [empty])
        else:
            rows = np.arange(len(self))
        if cat_ids is not None or area_rng is not None:
            keep = np.ones(len(rows), bool)
            if cat_ids is not None:
                keep &= np.isin(self.category_ids[rows], np.fromiter(cat_ids, np.int64))
            lo, hi = area_rng if area_rng is not None else (0, float('inf'))
            areas = self.areas[rows]
            keep &= (areas > lo) & (areas < hi)
            rows = rows[keep]
        return self.ids[rows].tolist()

    def load_anns(self, ids: Optional[Iterable[int]] = None) -> List[dict]:
        """Detections as dicts (built on demand), with ``id`` and ``area`` as officially."""
        rows = range(len(self)) if ids is None else [int(i) - 1 for i in ids]
        return [self._ann(i) for i in rows]

    def get_top_results(self, img_id: int, score_thrs: float) -> List[dict]:
        return [ann for ann in self.load_anns(self.get_ann_ids(img_ids=[img_id]))
                if ann['score'] > score_thrs]

    def _ann(self, i: int) -> dict:
        ann = {'image_id': int(self.image_ids[i]), 'category_id': int(self.category_ids[i]),
               'score': float(self.scores[i]), 'area': float(self.areas[i]),
               'id': int(self.ids[i])}
        if self.bboxes is not None:
            ann['bbox'] = self.bboxes[i].tolist()
        if self.segmentations is not None and self.segmentations[i] is not None:
            ann['segmentation'] = self.segmentations[i]
        if 'bbox' not in ann:
            ann['bbox'] = mask_utils.toBbox(self.segm_rle(i)).tolist()
        if 'segmentation' not in ann:
            x, y, w, h = ann['bbox']
            ann['segmentation'] = [[x, y, x, y + h, x + w, y + h, x + w, y]]
        return ann

    def _image_index(self) -> Dict[int, np.ndarray]:
        if self._img_index is None:
            order = np.argsort(self.image_ids, kind='stable')
            uniq, starts = np.unique(self.image_ids[order], return_index=True)
            self._img_index = dict(zip(uniq.tolist(), np.split(order, starts[1:])))
        return self._img_index


def official_order(image_pos: np.ndarray, category_pos: np.ndarray, scores: np.ndarray,
                   max_dets: int, max_dets_per_cat: int) -> np.ndarray:
    """Input positions of the kept detections, in the official list order."""
    keep = np.arange(len(scores))
    if max_dets >= 0:
        keep = keep[_limit_per_group(image_pos[keep], scores[keep], max_dets, sort_all=False)]
    if max_dets_per_cat >= 0:
        keep = keep[_limit_per_group(category_pos[keep], scores[keep], max_dets_per_cat,
                                     sort_all=True)]
    return keep


def _limit_per_group(groups: np.ndarray, scores: np.ndarray, limit: int,
                     sort_all: bool) -> np.ndarray:
    """Positions kept when the official code caps each group at ``limit``.

    Groups come in order of first appearance; a group is sorted by decreasing score
    (stable, so ties keep input order) when ``sort_all`` or when it is over the cap.
    ``groups`` are small non-negative integers.
    """
    n = len(groups)
    if n == 0:
        return np.zeros(0, np.int64)
    counts = np.bincount(groups)
    runs = 1 + np.count_nonzero(groups[1:] != groups[:-1])
    if not sort_all and counts.max() <= limit and runs == np.count_nonzero(counts):
        return np.arange(n)  # already grouped and nothing over the cap: order unchanged
    uniq, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    rank_of_group = np.empty(len(uniq), np.int64)
    rank_of_group[np.argsort(first)] = np.arange(len(uniq))
    rank = rank_of_group[inverse]
    if sort_all:
        secondary = -scores
    else:
        secondary = np.where(counts[groups] > limit, -scores, 0.0)
    order = np.lexsort((secondary, rank))
    group_sizes = np.bincount(rank)
    group_start = np.concatenate([[0], np.cumsum(group_sizes)[:-1]])
    within = np.arange(n) - group_start[rank[order]]
    return order[within < limit]


@dataclass
class _Columns:
    """Raw result columns (input order) and how to quote entry ``i`` in an error."""
    image_ids: np.ndarray
    category_ids: np.ndarray
    scores: np.ndarray
    bboxes: Optional[np.ndarray]       # None: mask-only results
    segmentations: Optional[Sequence]  # list or SegmentationColumn; None: no masks
    entry_text: Callable[[int], str]


def _take(segmentations: Optional[Sequence], index: np.ndarray) -> Optional[Sequence]:
    if segmentations is None:
        return None
    if isinstance(segmentations, SegmentationColumn):
        return segmentations.take(index)
    return [segmentations[i] for i in index.tolist()]


def _scanned_columns(path: str, text_out: Optional[list] = None) -> Optional[_Columns]:
    """Columns from the numba scanner, or None (then ``json`` parses the file, whose
    bytes the scanner appended to ``text_out`` if it read them)."""
    scanned = scan_results_file(path, text_out)
    if scanned is None:
        return None
    n = len(scanned.scores)
    with_boxes = n > 0 and bool(scanned.has_box[0])
    if with_boxes and not scanned.has_box.all():
        return None
    segms = scanned.segmentations
    if n and not with_boxes and (segms is None or (segms.kind == SEG_NONE).any()):
        return None
    return _Columns(scanned.image_ids, scanned.category_ids, scanned.scores,
                    scanned.boxes if with_boxes else (np.zeros((0, 4)) if n == 0 else None),
                    segms, lambda i: describe(scanned.entry_text(i)))


class _ListReader:
    """Columns of a result list, each checked; errors name the offending entry."""

    def __init__(self, anns: List[Any], source: str):
        self.anns, self.source = anns, source

    def columns(self) -> _Columns:
        anns, entry_text = self.anns, lambda i: describe(self.anns[i])
        if not anns:
            empty = np.zeros(0, np.int64)
            return _Columns(empty, empty, np.zeros(0), np.zeros((0, 4)), None, entry_text)
        image_ids = self._int_column('image_id')
        category_ids = self._int_column('category_id')
        scores = self._float_column('score')
        if isinstance(anns[0], dict) and 'bbox' in anns[0]:
            bboxes = self._boxes()
            segms = [a.get('segmentation') for a in anns]
            segms = segms if any(s is not None for s in segms) else None
        else:
            bboxes, segms = None, self._values('segmentation')
        return _Columns(image_ids, category_ids, scores, bboxes, segms, entry_text)

    def _fail(self, i: int, problem: str) -> None:
        raise LVISFormatError(f'{self.source}: results[{i}] {describe(self.anns[i])} {problem}')

    def _values(self, key: str) -> list:
        try:
            return [a[key] for a in self.anns]
        except (KeyError, TypeError):
            for i, a in enumerate(self.anns):
                if not isinstance(a, dict):
                    self._fail(i, 'is not an object')
                if key not in a:
                    self._fail(i, f'has no {key!r}')
            raise

    def _int_column(self, key: str) -> np.ndarray:
        values = self._values(key)
        if not set(map(type, values)) <= {int}:
            i = next(i for i, v in enumerate(values) if type(v) is not int)
            self._fail(i, f'has a non-integer {key!r}')
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            i = next(i for i, v in enumerate(values) if abs(v) >= 2 ** 63)
            self._fail(i, f'has an out-of-range {key!r}')
            raise

    def _float_column(self, key: str) -> np.ndarray:
        values = self._values(key)
        if not set(map(type, values)) <= {int, float}:
            i = next(i for i, v in enumerate(values) if type(v) not in (int, float))
            self._fail(i, f'has a non-numeric {key!r}')
        return np.array(values, dtype=np.float64)

    def _boxes(self) -> np.ndarray:
        values = self._values('bbox')
        try:
            boxes = np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            boxes = None
        if boxes is None or boxes.shape != (len(values), 4):
            for i, box in enumerate(values):
                if not (isinstance(box, (list, tuple)) and len(box) == 4
                        and all(type(v) in (int, float) for v in box)):
                    self._fail(i, 'has a malformed bbox (expected [x, y, w, h] numbers)')
            raise LVISFormatError(f'{self.source}: malformed bbox values')
        return boxes


def _given_columns(image_ids: np.ndarray, category_ids: np.ndarray, scores: np.ndarray,
                   bboxes: Optional[np.ndarray], segmentations: Optional[Sequence]) -> _Columns:
    """Columns handed to :meth:`LVISResults.from_columns`, checked for type and shape."""
    source = '<result columns>'
    image_ids, category_ids, scores = (np.asarray(c) for c in (image_ids, category_ids, scores))
    n = len(scores)
    for name, column in (('image_ids', image_ids), ('category_ids', category_ids)):
        if column.ndim != 1 or not np.issubdtype(column.dtype, np.integer):
            raise LVISFormatError(f'{source}: {name} must be a 1-D integer array, got '
                                  f'{column.dtype} of shape {column.shape}')
    if scores.ndim != 1 or not np.issubdtype(scores.dtype, np.number):
        raise LVISFormatError(f'{source}: scores must be a 1-D numeric array, got '
                              f'{scores.dtype} of shape {scores.shape}')
    lengths = {'image_ids': len(image_ids), 'category_ids': len(category_ids), 'scores': n}
    if bboxes is not None:
        bboxes = np.asarray(bboxes, dtype=np.float64)
        lengths['bboxes'] = len(bboxes)
    if segmentations is not None:
        lengths['segmentations'] = len(segmentations)
    if len(set(lengths.values())) > 1:
        raise LVISFormatError(f'{source}: columns of different lengths {lengths}')
    if bboxes is not None and bboxes.shape != (n, 4):
        raise LVISFormatError(f'{source}: bboxes must be ({n}, 4) x, y, w, h, got shape '
                              f'{bboxes.shape}')
    if bboxes is None:
        if n == 0:
            bboxes = np.zeros((0, 4))
        elif segmentations is None or _has_missing(segmentations):
            raise LVISFormatError(f'{source}: results without bboxes need a segmentation '
                                  'for every detection')
    image_ids, category_ids = image_ids.astype(np.int64), category_ids.astype(np.int64)
    scores = scores.astype(np.float64)

    def entry_text(i: int) -> str:
        entry = {'image_id': int(image_ids[i]), 'category_id': int(category_ids[i]),
                 'score': float(scores[i])}
        if bboxes is not None:
            entry['bbox'] = bboxes[i].tolist()
        return describe(entry)
    return _Columns(image_ids, category_ids, scores, bboxes, segmentations, entry_text)


def _has_missing(segmentations: Sequence) -> bool:
    if isinstance(segmentations, SegmentationColumn):
        return bool((segmentations.kind == SEG_NONE).any())
    return any(s is None for s in segmentations)


class SegmentationColumnBuilder:
    """A compact segmentation column for :meth:`LVISResults.from_columns`, built a chunk
    (e.g. an image's detections) at a time.

    A compressed RLE (``{'size': [h, w], 'counts': str or bytes}``) keeps only its counts,
    in one byte buffer; any other segmentation (polygons, uncompressed RLE) is kept as JSON
    text; ``None`` is no segmentation. Millions of masks cost a few arrays, not a dict each.
    """

    def __init__(self):
        self._counts: List[bytes] = []  # per chunk: the counts of its compressed RLEs
        self._raw: List[bytes] = []     # per chunk: the JSON text of its other entries
        self._counts_size = self._raw_size = 0
        self._rows: List[np.ndarray] = []  # per chunk: rows of (kind, start, end, h, w)
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def extend(self, segmentations: Sequence[Any]) -> None:
        rows, counts_parts, raw_parts = [], [], []
        for i, segm in enumerate(segmentations):
            if segm is None:
                rows.append((SEG_NONE, 0, 0, 0, 0))
                continue
            rle = _compressed_rle(segm)
            if rle is not None:
                counts, height, width = rle
                rows.append((SEG_RLE, self._counts_size, self._counts_size + len(counts),
                             height, width))
                counts_parts.append(counts)
                self._counts_size += len(counts)
                continue
            try:
                text = json.dumps(segm).encode()
            except (TypeError, ValueError) as err:
                raise LVISFormatError(f'<result columns>: segmentation {self._len + i} '
                                      f'{describe(segm)} is not JSON data: {err}') from None
            rows.append((SEG_RAW, self._raw_size, self._raw_size + len(text), 0, 0))
            raw_parts.append(text)
            self._raw_size += len(text)
        self._counts.append(b''.join(counts_parts))
        self._raw.append(b''.join(raw_parts))
        self._rows.append(np.array(rows, np.int64).reshape(-1, 5))
        self._len += len(rows)

    def build(self) -> SegmentationColumn:
        chunks = self._rows or [np.zeros((0, 5), np.int64)]
        kind, start, end, height, width = (np.concatenate([c[:, k] for c in chunks])
                                           for k in range(5))
        counts = np.frombuffer(b''.join(self._counts), np.uint8)
        raw = np.frombuffer(b''.join(self._raw), np.uint8) if self._raw_size else None
        return SegmentationColumn(raw, counts, kind.astype(np.int8), start, end, height, width)


def _compressed_rle(segm: Any) -> Optional[Tuple[bytes, int, int]]:
    """(counts, height, width) of a plain compressed RLE; None for anything else."""
    if not (isinstance(segm, dict) and len(segm) == 2 and 'size' in segm and 'counts' in segm):
        return None
    counts, size = segm['counts'], segm['size']
    if isinstance(counts, str):
        counts = counts.encode()
    if not (isinstance(counts, bytes) and isinstance(size, (list, tuple)) and len(size) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
                    for v in size)):
        return None
    return counts, int(size[0]), int(size[1])


def _read_columns(results: ResultsSource, source: str) -> _Columns:
    if isinstance(results, (str, os.PathLike)):
        check_json_list_start(results, 'results')
        text: list = []
        columns = _scanned_columns(results, text)
        if columns is not None:
            return columns
        results = load_json(results, text.pop() if text else None)
    if not isinstance(results, list):
        raise LVISFormatError(
            f'{source}: results are a JSON list of detections, got {type(results).__name__}')
    return _ListReader(results, source).columns()


def _check_columns(columns: _Columns, source: str, gt: LVIS) -> Tuple[np.ndarray, np.ndarray]:
    """Values checks shared by both readers; returns the image and category positions
    (index in the sorted ground-truth ids)."""
    def fail(i: int, problem: str) -> None:
        raise LVISFormatError(f'{source}: results[{i}] {columns.entry_text(i)} {problem}')

    bad = np.flatnonzero(~np.isfinite(columns.scores))
    if len(bad):
        fail(int(bad[0]), "has a non-finite 'score'")
    if columns.bboxes is not None and len(columns.bboxes):
        bad = np.flatnonzero(~np.isfinite(columns.bboxes).all(axis=1))
        if len(bad):
            fail(int(bad[0]), 'has a non-finite bbox')
        bad = np.flatnonzero((columns.bboxes[:, 2] < 0) | (columns.bboxes[:, 3] < 0))
        if len(bad):
            fail(int(bad[0]), 'has a negative box width or height')
    positions = []
    for values, key, known in ((columns.image_ids, 'image_id', gt.get_img_ids()),
                               (columns.category_ids, 'category_id', gt.get_cat_ids())):
        known_arr = np.asarray(known, dtype=np.int64)
        pos = np.searchsorted(known_arr, values)
        ok = pos < len(known_arr)
        ok[ok] = known_arr[pos[ok]] == values[ok]
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            fail(i, f'names {key} {int(values[i])}, which is not in the ground truth '
                    f'({gt.source})')
        positions.append(pos)
    return positions[0], positions[1]
