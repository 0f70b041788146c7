"""Confusion matrix of detections against ground truth, and its long-tail view
(``tools/analysis/confusion_matrix.py``): how often ground truth of rare, common and
frequent classes is detected as a class of each group, or missed; the failure SimCal
targets is rare and common objects taken for frequent classes.

Matching, per image: a detection scoring at least ``score_thr`` counts at (ground-truth
label, detected label) for every ground truth it overlaps with IoU >= ``iou_thr``, and
as a false positive (background row) if it overlaps none; a ground truth that no
detection of its own class overlaps counts as missed (background column). Crowd and
ignored annotations are left out.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from mmdet.structures.bbox import bbox_overlaps

GROUPS = ('r', 'c', 'f')


def ground_truth(gt) -> Tuple[Dict[int, Tuple[np.ndarray, np.ndarray]], List[int]]:
    """``{image id: (x1y1x2y2 boxes, labels)}`` of an :class:`lvis_api.LVIS` and its
    category ids (label = position)."""
    cat_ids = gt.get_cat_ids()
    index = {c: i for i, c in enumerate(cat_ids)}
    out = {}
    for img_id in gt.get_img_ids():
        anns = [a for a in gt.img_ann_map.get(img_id, ())
                if not a.get('iscrowd', 0) and not a.get('ignore', 0)]
        boxes = np.array([[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                           a['bbox'][1] + a['bbox'][3]] for a in anns], np.float64)
        out[img_id] = (boxes.reshape(-1, 4), np.array([index[a['category_id']] for a in anns],
                                                      np.int64))
    return out, cat_ids


def confusion_matrix(results: Sequence[dict], gt: Dict[int, Tuple[np.ndarray, np.ndarray]],
                     num_classes: int, score_thr: float = 0.3,
                     iou_thr: float = 0.5) -> np.ndarray:
    """(C + 1, C + 1) counts, rows ground truth, columns detections; the last row holds
    false positives, the last column missed ground truth. ``results``: the per-image
    dicts of ``tools/test.py --out`` (``img_id``, ``pred_instances``)."""
    matrix = np.zeros((num_classes + 1, num_classes + 1), np.int64)
    seen = set()
    for result in results:
        img_id = result['img_id']
        if img_id not in gt:
            raise KeyError(f'image {img_id} of the results is not in the annotation file')
        seen.add(img_id)
        gt_boxes, gt_labels = gt[img_id]
        pred = result['pred_instances']
        keep = np.asarray(pred['scores']) >= score_thr
        boxes = np.asarray(pred['bboxes'], np.float64).reshape(-1, 4)[keep]
        labels = np.asarray(pred['labels'], np.int64)[keep]
        ious = bbox_overlaps(torch.from_numpy(boxes), torch.from_numpy(gt_boxes)).numpy()
        found = np.zeros(len(gt_labels), bool)
        for d, label in enumerate(labels):
            hits = np.flatnonzero(ious[d] >= iou_thr)
            for j in hits:
                matrix[gt_labels[j], label] += 1
                found[j] |= gt_labels[j] == label
            if not len(hits):
                matrix[num_classes, label] += 1
        for j in np.flatnonzero(~found):
            matrix[gt_labels[j], num_classes] += 1
    missing = set(gt) - seen
    for img_id in missing:  # images without results: all their ground truth missed
        for label in gt[img_id][1]:
            matrix[label, num_classes] += 1
    return matrix


def group_matrix(matrix: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """(len(GROUPS) + 1)^2 sums of ``matrix`` by the classes' groups ('r', 'c', 'f');
    the last row and column stay background / missed. Classes without a group are left
    out."""
    g = len(GROUPS)
    index = np.array([GROUPS.index(x) if x in GROUPS else -1 for x in groups] + [g])
    out = np.zeros((g + 1, g + 1), np.int64)
    for i in range(g + 1):
        for j in range(g + 1):
            out[i, j] = matrix[np.ix_(index == i, index == j)].sum()
    return out


def groups_of(gt, cat_ids: Sequence[int], train_counts: Dict[int, int] = None,
              edges: Sequence[float] = (10, 100)) -> List[str]:
    """Each class's group: LVIS's ``frequency`` field, or, with training counts, r / c / f
    below ``edges[0]``, below ``edges[1]``, and above (LVIS's rule on image counts)."""
    if train_counts is not None:
        return ['r' if train_counts.get(c, 0) < edges[0] else
                'c' if train_counts.get(c, 0) < edges[1] else 'f' for c in cat_ids]
    groups = [gt.cats[c].get('frequency', '') for c in cat_ids]
    if not any(groups):
        raise ValueError(f'{gt.source}: no "frequency" field: give the training annotations '
                         '(--train-ann) to group the classes by training count')
    return groups


def long_tail_table(groups_by_run: Dict[str, np.ndarray]) -> str:
    """Per run, the share (%) of each group's ground truth detected as each group's
    classes, or missed."""
    from terminaltables import AsciiTable
    names = {'r': 'rare', 'c': 'common', 'f': 'frequent'}
    rows = [['run', 'ground truth', 'as rare', 'as common', 'as frequent', 'missed']]
    for run, m in groups_by_run.items():
        for i, g in enumerate(GROUPS):
            total = m[i].sum()
            rows.append([run, f'{names[g]} ({total})'] +
                        [f'{100 * v / total:.1f}' if total else '-' for v in m[i]])
    return AsciiTable(rows).table
