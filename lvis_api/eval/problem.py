"""The evaluation problem as sorted columns and (category, image) groups.

This reproduces the official ``LVISEval._prepare`` without per-image x per-category
dicts: ground truth and detections are filtered the official way, sorted by
(category, image) and cut into groups; every group with a ground truth or a detection is
one non-empty ``evaluate_img`` entry of the official code.

Official sets, reproduced here:
- ground truth and detections of ``params.img_ids`` x ``params.cat_ids`` whose area is
  strictly inside (0, inf);
- a detection is kept only if its category is in the image's (kept) ground truth or in
  its ``neg_category_ids``;
- detections of a category in the image's ``not_exhaustive_category_ids`` are flagged
  (ignored when unmatched);
- order inside a group: ground truth in file order, detections by decreasing score with
  ties in result-list order.

:func:`build_coco_problem` builds the same columns with pycocotools' ``COCOeval._prepare``
rules instead: every image x category pair is evaluated (no federated lists, no area
filter), ``iscrowd`` marks crowd ground truth, which is also the only ignored kind, and
each (category, image) group keeps its ``params.max_dets[-1]`` best-scored detections.
"""
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from ..errors import LVISFormatError
from ..lvis import LVIS
from ..results import LVISResults
from .params import Params


@dataclass
class EvalProblem:
    num_cats: int
    # kept ground truth, sorted by (category, image, file order)
    gt_rows: np.ndarray            # rows of LVIS.annotation_arrays()
    gt_areas: np.ndarray
    gt_ignore: np.ndarray
    gt_crowd: np.ndarray           # COCO crowd regions: IoU over the detection's area
    gt_id_nonzero: np.ndarray      # the official code marks matches by id: id 0 never counts
    gt_boxes: np.ndarray
    # kept detections, sorted by (category, image, -score, list order)
    dt_rows: np.ndarray            # rows of the LVISResults columns
    dt_areas: np.ndarray
    dt_scores: np.ndarray
    dt_not_exhaustive: np.ndarray
    dt_rank: np.ndarray            # position in its group (COCO's per-group caps)
    dt_boxes: np.ndarray
    # groups: one per (category, image) with a ground truth or a detection
    group_cat: np.ndarray
    group_gt_start: np.ndarray
    group_gt_end: np.ndarray
    group_dt_start: np.ndarray
    group_dt_end: np.ndarray
    # groups of each category (index into the group arrays)
    cat_group_start: np.ndarray
    cat_group_end: np.ndarray


class _IdIndex:
    """Position of ids in a (possibly unsorted) id list, vectorised."""

    def __init__(self, ids: np.ndarray):
        self.sorter = np.argsort(ids, kind='stable')
        self.sorted = ids[self.sorter]

    def lookup(self, values: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        pos = np.searchsorted(self.sorted, values)
        valid = pos < len(self.sorted)
        valid[valid] = self.sorted[pos[valid]] == values[valid]
        index = np.where(valid, self.sorter[np.minimum(pos, len(self.sorted) - 1)], -1)
        return valid, index


def _positions(index: _IdIndex, ids: np.ndarray, values: np.ndarray,
               gt_positions: np.ndarray, gt_ids: List[int]) -> Tuple[np.ndarray, np.ndarray]:
    """``index.lookup(values)``, reusing the positions LVISResults computed when ``ids``
    are all the ground-truth ids, sorted (the default parameters)."""
    if len(ids) == len(gt_ids) and np.array_equal(ids, gt_ids):
        return np.ones(len(values), bool), gt_positions
    return index.lookup(values)


def _in_sorted(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_unique, values)
    found = pos < len(sorted_unique)
    found[found] = sorted_unique[pos[found]] == values[found]
    return found


def _image_category_keys(gt: LVIS, img_ids: np.ndarray, field: str, cats: _IdIndex,
                         num_imgs: int) -> np.ndarray:
    """Sorted unique keys ``cat_index * num_imgs + img_index`` of an image list field."""
    lists: List[list] = []
    for img_id in img_ids.tolist():
        img = gt.imgs[img_id]
        if not isinstance(img.get(field), list):
            raise LVISFormatError(
                f'{gt.source}: image {img_id} has no list {field!r} (needed for the '
                f'federated LVIS evaluation)')
        lists.append(img[field])
    lengths = np.fromiter(map(len, lists), np.int64, len(lists))
    cat_ids = np.fromiter((c for lst in lists for c in lst), np.int64, int(lengths.sum()))
    img_index = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    valid, cat_index = cats.lookup(cat_ids)
    return np.unique(cat_index[valid] * num_imgs + img_index[valid])


def build_problem(gt: LVIS, dt: LVISResults, params: Params) -> EvalProblem:
    img_ids, cat_ids = _checked_ids(gt, params)
    num_imgs, num_cats = len(img_ids), len(cat_ids)
    imgs, cats = _IdIndex(img_ids), _IdIndex(cat_ids)

    # ground truth
    ann = gt.annotation_arrays()
    gt_rows, gt_key = _sorted_gt(ann, imgs, cats, num_imgs,
                                 (ann.areas > 0) & (ann.areas < np.inf))
    gt_groups = np.unique(gt_key)

    # detections: of a category in the image's ground truth or negative list
    neg_keys = _image_category_keys(gt, img_ids, 'neg_category_ids', cats, num_imgs)
    nel_keys = _image_category_keys(gt, img_ids, 'not_exhaustive_category_ids', cats, num_imgs)
    img_ok, img_index = _positions(imgs, img_ids, dt.image_ids, dt.image_index, gt.get_img_ids())
    cat_ok, cat_index = _positions(cats, cat_ids, dt.category_ids, dt.category_index,
                                   gt.get_cat_ids())
    dt_rows = np.flatnonzero(img_ok & cat_ok & (dt.areas > 0) & (dt.areas < np.inf))
    dt_key = cat_index[dt_rows] * num_imgs + img_index[dt_rows]
    order = np.lexsort((-dt.scores[dt_rows], dt_key))  # stable: ties keep list order
    dt_rows, dt_key = dt_rows[order], dt_key[order]
    # membership per distinct (category, image) key, then per detection
    starts = np.flatnonzero(np.diff(dt_key, prepend=-1))
    keys, runs = dt_key[starts], np.diff(np.append(starts, len(dt_key)))
    allowed_keys = _in_sorted(keys, gt_groups) | _in_sorted(keys, neg_keys)
    allowed = np.repeat(allowed_keys, runs)
    not_exhaustive = np.repeat(_in_sorted(keys, nel_keys), runs)[allowed]
    dt_rows, dt_key = dt_rows[allowed], dt_key[allowed]

    groups = np.union1d(gt_groups, keys[allowed_keys])
    return _grouped_problem(
        params, num_imgs, num_cats, ann, gt_rows, gt_key, ann.ignore[gt_rows],
        np.zeros(len(gt_rows), bool), dt, dt_rows, dt_key, not_exhaustive,
        np.zeros(len(dt_rows), np.int64), groups)


def build_coco_problem(gt: LVIS, dt: LVISResults, params: Params) -> EvalProblem:
    """The problem under pycocotools' rules (see the module doc)."""
    img_ids, cat_ids = _checked_ids(gt, params)
    num_imgs, num_cats = len(img_ids), len(cat_ids)
    imgs, cats = _IdIndex(img_ids), _IdIndex(cat_ids)
    ann = gt.annotation_arrays()
    gt_rows, gt_key = _sorted_gt(ann, imgs, cats, num_imgs, True)

    img_ok, img_index = _positions(imgs, img_ids, dt.image_ids, dt.image_index, gt.get_img_ids())
    cat_ok, cat_index = _positions(cats, cat_ids, dt.category_ids, dt.category_index,
                                   gt.get_cat_ids())
    dt_rows = np.flatnonzero(img_ok & cat_ok)
    dt_key = cat_index[dt_rows] * num_imgs + img_index[dt_rows]
    order = np.lexsort((-dt.scores[dt_rows], dt_key))  # stable: ties keep list order
    dt_rows, dt_key = dt_rows[order], dt_key[order]
    starts = np.searchsorted(dt_key, dt_key, 'left')
    rank = np.arange(len(dt_key), dtype=np.int64) - starts
    cap = int(params.max_dets[-1])
    if cap >= 0:
        keep = rank < cap
        dt_rows, dt_key, rank = dt_rows[keep], dt_key[keep], rank[keep]
    groups = np.union1d(gt_key, dt_key)
    crowd = ann.crowd[gt_rows]
    return _grouped_problem(params, num_imgs, num_cats, ann, gt_rows, gt_key, crowd, crowd,
                            dt, dt_rows, dt_key, np.zeros(len(dt_rows), bool), rank, groups)


def _sorted_gt(ann, imgs: _IdIndex, cats: _IdIndex, num_imgs: int,
               keep) -> Tuple[np.ndarray, np.ndarray]:
    """Rows of the kept ground truth of the evaluated images and categories, sorted by
    (category, image, file order), and their group keys."""
    img_ok, img_index = imgs.lookup(ann.image_ids)
    cat_ok, cat_index = cats.lookup(ann.category_ids)
    gt_rows = np.flatnonzero(img_ok & cat_ok & keep)
    gt_key = cat_index[gt_rows] * num_imgs + img_index[gt_rows]
    order = np.argsort(gt_key, kind='stable')
    return gt_rows[order], gt_key[order]


def _checked_ids(gt: LVIS, params: Params) -> Tuple[np.ndarray, np.ndarray]:
    img_ids = np.unique(np.asarray(params.img_ids, dtype=np.int64))
    unknown = [i for i in img_ids.tolist() if i not in gt.imgs]
    if unknown:
        raise ValueError(f'params.img_ids names images not in {gt.source}: {unknown[:10]}')
    cat_ids = np.asarray(params.cat_ids, dtype=np.int64)
    if len(np.unique(cat_ids)) != len(cat_ids):
        raise ValueError('params.cat_ids has repeated ids')
    return img_ids, cat_ids


def _grouped_problem(params: Params, num_imgs: int, num_cats: int, ann, gt_rows: np.ndarray,
                     gt_key: np.ndarray, gt_ignore: np.ndarray, gt_crowd: np.ndarray,
                     dt: LVISResults, dt_rows: np.ndarray, dt_key: np.ndarray,
                     not_exhaustive: np.ndarray, dt_rank: np.ndarray,
                     groups: np.ndarray) -> EvalProblem:
    """The columns and group bounds of sorted ground truth and detections."""
    empty_boxes = np.zeros((0, 4))
    group_cat = groups // max(num_imgs, 1)
    return EvalProblem(
        num_cats=num_cats,
        gt_rows=gt_rows,
        gt_areas=ann.areas[gt_rows],
        gt_ignore=gt_ignore,
        gt_crowd=gt_crowd,
        gt_id_nonzero=ann.ids[gt_rows] != 0,
        gt_boxes=ann.bboxes[gt_rows] if params.iou_type == 'bbox' else empty_boxes,
        dt_rows=dt_rows,
        dt_areas=dt.areas[dt_rows],
        dt_scores=dt.scores[dt_rows],
        dt_not_exhaustive=not_exhaustive,
        dt_rank=dt_rank,
        dt_boxes=dt.boxes[dt_rows] if params.iou_type == 'bbox' else empty_boxes,
        group_cat=group_cat,
        group_gt_start=np.searchsorted(gt_key, groups, 'left'),
        group_gt_end=np.searchsorted(gt_key, groups, 'right'),
        group_dt_start=np.searchsorted(dt_key, groups, 'left'),
        group_dt_end=np.searchsorted(dt_key, groups, 'right'),
        cat_group_start=np.searchsorted(group_cat, np.arange(num_cats), 'left'),
        cat_group_end=np.searchsorted(group_cat, np.arange(num_cats), 'right'),
    )
